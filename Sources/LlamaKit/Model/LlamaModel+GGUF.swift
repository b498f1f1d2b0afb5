extension LlamaModel {
    /// Loads a Llama-architecture model's weights from a GGUF file onto `backend`.
    ///
    /// Weights keep their stored types; the CPU backend maps them without copying. Every tensor's shape is
    /// checked against the configuration before use.
    /// - Parameter progress: called after each tensor is handed to the backend with (bytes done, bytes total).
    public convenience init(gguf: GGUFFile, backend: any Backend,
                            progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws {
        let c = try LlamaConfiguration(gguf: gguf)
        let totalBytes = gguf.tensors.reduce(0) { $0 + $1.byteCount }
        var doneBytes = 0
        func report(_ host: HostTensor) {
            doneBytes += host.bytes.count
            progress?(doneBytes, totalBytes)
        }
        let qWidth = c.headCount * c.headDim
        let kvWidth = c.kvHeadCount * c.headDim

        func load(_ name: String, rows: Int, columns: Int) throws -> any BackendTensor {
            let host = try gguf.tensor(name)
            guard host.rows == rows, host.columns == columns else {
                throw GGUFError.wrongTensorShape(tensor: name, expected: [columns, rows], found: gguf.info(name)?.dims ?? [])
            }
            defer { report(host) }
            return try backend.weight(host)
        }
        func norm(_ name: String) throws -> any BackendTensor {
            let host = try gguf.tensor(name)
            guard host.type == .f32, host.rows * host.columns == c.hiddenSize else {
                throw GGUFError.wrongTensorShape(tensor: name, expected: [c.hiddenSize], found: gguf.info(name)?.dims ?? [])
            }
            defer { report(host) }
            return try backend.weight(HostTensor(name: name, type: .f32, rows: 1, columns: c.hiddenSize, bytes: host.bytes, owner: host.owner))
        }

        let embedding = try load("token_embd.weight", rows: c.vocabularySize, columns: c.hiddenSize)
        var blocks: [TransformerBlock] = []
        for i in 0 ..< c.layerCount {
            let p = "blk.\(i)."
            blocks.append(TransformerBlock(
                attentionNorm: try norm(p + "attn_norm.weight"),
                attention: Attention(
                    wq: try load(p + "attn_q.weight", rows: qWidth, columns: c.hiddenSize),
                    wk: try load(p + "attn_k.weight", rows: kvWidth, columns: c.hiddenSize),
                    wv: try load(p + "attn_v.weight", rows: kvWidth, columns: c.hiddenSize),
                    wo: try load(p + "attn_output.weight", rows: c.hiddenSize, columns: qWidth)),
                mlpNorm: try norm(p + "ffn_norm.weight"),
                mlp: MLP(
                    gate: try load(p + "ffn_gate.weight", rows: c.intermediateSize, columns: c.hiddenSize),
                    up: try load(p + "ffn_up.weight", rows: c.intermediateSize, columns: c.hiddenSize),
                    down: try load(p + "ffn_down.weight", rows: c.hiddenSize, columns: c.intermediateSize))))
        }
        let finalNorm = try norm("output_norm.weight")
        // Tied embeddings (Llama 3.2 1B/3B, SmolLM2): no output.weight, the embedding matrix serves.
        let output = gguf.info("output.weight") == nil
            ? embedding : try load("output.weight", rows: c.vocabularySize, columns: c.hiddenSize)

        // Llama 3.1 frequency scaling: GGUF carries the per-pair divisors as rope_freqs.weight.
        var scaling: [Float]? = nil
        if gguf.info("rope_freqs.weight") != nil {
            let host = try gguf.tensor("rope_freqs.weight")
            guard host.type == .f32, host.rows * host.columns == c.headDim / 2 else {
                throw GGUFError.wrongTensorShape(tensor: "rope_freqs.weight", expected: [c.headDim / 2], found: gguf.info("rope_freqs.weight")?.dims ?? [])
            }
            scaling = Array(host.bytes.bindMemory(to: Float.self))
            if let bad = scaling?.first(where: { !($0.isFinite && $0 > 0) }) {
                throw ModelError.invalidConfiguration("rope_freqs.weight holds \(bad); divisors must be positive")
            }
        }
        self.init(configuration: c, backend: backend, embedding: embedding, blocks: blocks, finalNorm: finalNorm,
                  output: output,
                  inverseFrequencies: RotaryEmbedding.inverseFrequencies(headDim: c.headDim, theta: c.ropeTheta, scaling: scaling),
                  // llama.cpp's converter permutes q/k rows for the interleaved-pair rotation.
                  ropeLayout: .interleaved)
    }
}
