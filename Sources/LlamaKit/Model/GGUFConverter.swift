import Foundation

/// Writes a Hugging Face Llama folder as a GGUF file that llama.cpp and ``GGUFFile`` load.
///
/// Follows llama.cpp's `convert_hf_to_gguf.py`: `llama.*` metadata, ggml tensor names, q/k rows permuted
/// from the rotate-half layout to interleaved pairs, llama3 RoPE scaling as `rope_freqs.weight` divisors,
/// norms in f32 and matrices in the requested type. Tensors are converted and written one at a time.
public enum GGUFConverter {
    /// llama.cpp's `general.file_type` (`LLAMA_FTYPE_*`) for each output type.
    static func fileType(_ type: TensorType) -> UInt32? {
        switch type {
        case .f32: return 0
        case .f16: return 1
        case .q4_0: return 2
        case .q8_0: return 7
        case .bf16: return 32
        default: return nil
        }
    }

    /// Converts `folder` to a GGUF file at `output` with matrices stored as `type` (f32, f16, bf16, q8_0, q4_0).
    public static func convert(folder: String, to output: String, type: TensorType,
                               progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws {
        guard let fileType = fileType(type) else { throw CheckpointError.unsupportedTensorType(tensor: "(output type)", type: type) }
        let config = try HuggingFaceConfiguration(folder: folder)
        let checkpoint = try SafetensorsCheckpoint(folder: folder)
        let c = config.llama
        var writer = GGUFWriter()
        // Sizes come from config.json: refuse values GGUF's u32 fields cannot hold instead of trapping.
        func u32(_ value: Int, _ key: String) throws -> GGUFValue {
            guard let v = UInt32(exactly: value) else {
                throw CheckpointError.badConfigurationValue(file: "config.json", key: key, reason: "is \(value), outside GGUF's u32 range")
            }
            return .uint32(v)
        }
        writer.set("general.architecture", .string("llama"))
        writer.set("general.name", .string(URL(fileURLWithPath: folder).lastPathComponent))
        writer.set("general.file_type", .uint32(fileType))
        writer.set("llama.context_length", try u32(c.trainedContextLength, "max_position_embeddings"))
        writer.set("llama.embedding_length", try u32(c.hiddenSize, "hidden_size"))
        writer.set("llama.block_count", try u32(c.layerCount, "num_hidden_layers"))
        writer.set("llama.feed_forward_length", try u32(c.intermediateSize, "intermediate_size"))
        writer.set("llama.rope.dimension_count", try u32(c.headDim, "head_dim"))
        writer.set("llama.attention.head_count", try u32(c.headCount, "num_attention_heads"))
        writer.set("llama.attention.head_count_kv", try u32(c.kvHeadCount, "num_key_value_heads"))
        if c.headDim * c.headCount != c.hiddenSize {
            writer.set("llama.attention.key_length", try u32(c.headDim, "head_dim"))
            writer.set("llama.attention.value_length", try u32(c.headDim, "head_dim"))
        }
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(c.rmsNormEpsilon))
        writer.set("llama.rope.freq_base", .float32(c.ropeTheta))
        writer.set("llama.vocab_size", try u32(c.vocabularySize, "vocab_size"))
        if let bos = config.bosTokenID { writer.set("tokenizer.ggml.bos_token_id", try u32(bos, "bos_token_id")) }
        if let eos = config.eosTokenIDs.first { writer.set("tokenizer.ggml.eos_token_id", try u32(eos, "eos_token_id")) }
        // Copying the folder's tokenizer into GGUF metadata is the tokenizer loaders' job; without it llama.cpp
        // loads the model in no-vocabulary mode (token ids only).
        writer.set("tokenizer.ggml.model", .string("none"))

        func matrix(_ gguf: String, _ hf: String, rows: Int, columns: Int, permuteHeads: Int? = nil) throws {
            guard let info = checkpoint.info(hf) else { throw SafetensorsError.missingTensor(hf) }
            let found = [info.shape.dropLast().reduce(1, *), info.shape.last ?? 1]
            guard found == [rows, columns] else { throw CheckpointError.wrongTensorShape(tensor: hf, expected: [rows, columns], found: info.shape) }
            writer.add(name: gguf, type: type, rows: rows, columns: columns) {
                var host = try checkpoint.tensor(hf)
                if let heads = permuteHeads { host = try interleaveRotaryPairs(host, heads: heads) }
                return try TensorConversion.convert(host, to: type)
            }
        }
        func vector(_ gguf: String, _ hf: String) throws {
            guard checkpoint.contains(hf) else { throw SafetensorsError.missingTensor(hf) }
            writer.add(name: gguf, type: .f32, rows: 1, columns: c.hiddenSize, isVector: true) {
                let host = try checkpoint.tensor(hf).convertedToF32()
                guard host.rows * host.columns == c.hiddenSize else {
                    throw CheckpointError.wrongTensorShape(tensor: hf, expected: [c.hiddenSize], found: [host.rows, host.columns])
                }
                return HostTensor(name: gguf, type: .f32, rows: 1, columns: c.hiddenSize, bytes: host.bytes, owner: host.owner)
            }
        }

        try matrix("token_embd.weight", "model.embed_tokens.weight", rows: c.vocabularySize, columns: c.hiddenSize)
        if let scaling = config.ropeScaling {
            let divisors = ropeFactors(scaling, headDim: c.headDim, theta: c.ropeTheta)
            writer.add(name: "rope_freqs.weight", type: .f32, rows: 1, columns: divisors.count, isVector: true) {
                let allocation = HostAllocation(floats: divisors)
                return HostTensor(name: "rope_freqs.weight", type: .f32, rows: 1, columns: divisors.count,
                                  bytes: allocation.buffer, owner: allocation)
            }
        }
        let q = c.headCount * c.headDim, kv = c.kvHeadCount * c.headDim
        for i in 0 ..< c.layerCount {
            let hf = "model.layers.\(i).", g = "blk.\(i)."
            try vector(g + "attn_norm.weight", hf + "input_layernorm.weight")
            try matrix(g + "attn_q.weight", hf + "self_attn.q_proj.weight", rows: q, columns: c.hiddenSize, permuteHeads: c.headCount)
            try matrix(g + "attn_k.weight", hf + "self_attn.k_proj.weight", rows: kv, columns: c.hiddenSize, permuteHeads: c.kvHeadCount)
            try matrix(g + "attn_v.weight", hf + "self_attn.v_proj.weight", rows: kv, columns: c.hiddenSize)
            try matrix(g + "attn_output.weight", hf + "self_attn.o_proj.weight", rows: c.hiddenSize, columns: q)
            try vector(g + "ffn_norm.weight", hf + "post_attention_layernorm.weight")
            try matrix(g + "ffn_gate.weight", hf + "mlp.gate_proj.weight", rows: c.intermediateSize, columns: c.hiddenSize)
            try matrix(g + "ffn_up.weight", hf + "mlp.up_proj.weight", rows: c.intermediateSize, columns: c.hiddenSize)
            try matrix(g + "ffn_down.weight", hf + "mlp.down_proj.weight", rows: c.hiddenSize, columns: c.intermediateSize)
        }
        try vector("output_norm.weight", "model.norm.weight")
        if !(config.tieWordEmbeddings && !checkpoint.contains("lm_head.weight")) {
            try matrix("output.weight", "lm_head.weight", rows: c.vocabularySize, columns: c.hiddenSize)
        }
        try writer.write(to: output, progress: progress)
    }

    /// Reorders each head's rows from rotate-half (x[j], x[j + d/2]) to interleaved pairs (x[2j], x[2j+1]),
    /// the permutation llama.cpp's converter applies to q and k.
    public static func interleaveRotaryPairs(_ host: HostTensor, heads: Int) throws -> HostTensor {
        let headRows = host.rows / heads
        guard heads > 0, host.rows % heads == 0, headRows % 2 == 0 else {
            throw CheckpointError.wrongTensorShape(tensor: host.name, expected: [heads * 2, host.columns], found: [host.rows, host.columns])
        }
        let rowBytes = host.rowBytes
        let allocation = HostAllocation(count: host.bytes.count)
        guard let source = host.bytes.baseAddress else { return host }
        for h in 0 ..< heads {
            for j in 0 ..< headRows / 2 {
                for p in 0 ..< 2 {
                    let from = h * headRows + p * (headRows / 2) + j
                    let to = h * headRows + 2 * j + p
                    (allocation.pointer + to * rowBytes).copyMemory(from: source + from * rowBytes, byteCount: rowBytes)
                }
            }
        }
        return HostTensor(name: host.name, type: host.type, rows: host.rows, columns: host.columns,
                          bytes: allocation.buffer, owner: allocation)
    }

    /// The per-pair divisors llama.cpp stores as `rope_freqs.weight` for llama3 scaling.
    static func ropeFactors(_ s: Llama3RopeScaling, headDim: Int, theta: Float) -> [Float] {
        let lowWavelength = Double(s.originalContextLength) / Double(s.lowFrequencyFactor)
        let highWavelength = Double(s.originalContextLength) / Double(s.highFrequencyFactor)
        return RotaryEmbedding.inverseFrequencies(headDim: headDim, theta: theta).map { freq in
            let wavelength = 2 * Double.pi / Double(freq)
            if wavelength < highWavelength { return 1 }
            if wavelength > lowWavelength { return s.factor }
            let smooth = (Double(s.originalContextLength) / wavelength - Double(s.lowFrequencyFactor))
                / Double(s.highFrequencyFactor - s.lowFrequencyFactor)
            return Float(1 / ((1 - smooth) / Double(s.factor) + smooth))
        }
    }
}
