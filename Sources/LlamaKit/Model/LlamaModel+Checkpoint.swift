/// Where a checkpoint format keeps each weight, and how to fetch it.
struct CheckpointWeights {
    /// The tensor names of one format.
    struct Names {
        let embedding: String
        let output: String
        let finalNorm: String
        let layer: (_ index: Int) -> Layer
    }

    struct Layer {
        let attentionNorm, wq, wk, wv, wo, mlpNorm, gate, up, down: String
    }

    let names: Names
    /// Returns a tensor in its stored type (a mapped view, or a merged copy).
    let tensor: (String) throws -> HostTensor
    let contains: (String) -> Bool
    /// Total bytes the weights occupy as stored (for progress).
    let totalBytes: Int
}

extension LlamaModel {
    /// Builds the network from `weights`, checking every shape against `c`.
    ///
    /// Matrices pass through `transform` (identity, or quantization on load); norm vectors are converted to
    /// f32 copies because the backends' RMSNorm reads f32 weights.
    static func build(configuration c: LlamaConfiguration, weights: CheckpointWeights, tied: Bool,
                      inverseFrequencies: [Float], ropeLayout: RopeLayout, backend: any Backend,
                      transform: (HostTensor) throws -> HostTensor = { $0 },
                      progress: ((_ done: Int, _ total: Int) -> Void)?) throws -> (LlamaModel, Int) {
        var doneBytes = 0
        var residentBytes = 0
        let qWidth = c.headCount * c.headDim
        let kvWidth = c.kvHeadCount * c.headDim

        func matrix(_ name: String, rows: Int, columns: Int) throws -> any BackendTensor {
            let host = try weights.tensor(name)
            guard host.rows == rows, host.columns == columns else {
                throw CheckpointError.wrongTensorShape(tensor: name, expected: [rows, columns], found: [host.rows, host.columns])
            }
            let stored = try transform(host)
            // A converted copy replaces the mapped bytes for good: drop them from the resident set.
            if stored.bytes.baseAddress != host.bytes.baseAddress { host.releaseMappedPages() }
            doneBytes += host.bytes.count
            residentBytes += stored.bytes.count
            progress?(doneBytes, weights.totalBytes)
            return try backend.weight(stored)
        }
        func norm(_ name: String) throws -> any BackendTensor {
            let host = try weights.tensor(name)
            guard host.rows * host.columns == c.hiddenSize else {
                throw CheckpointError.wrongTensorShape(tensor: name, expected: [c.hiddenSize], found: [host.rows, host.columns])
            }
            let f32 = try host.convertedToF32()
            doneBytes += host.bytes.count
            residentBytes += f32.bytes.count
            progress?(doneBytes, weights.totalBytes)
            return try backend.weight(HostTensor(name: name, type: .f32, rows: 1, columns: c.hiddenSize, bytes: f32.bytes, owner: f32.owner))
        }

        let n = weights.names
        let embedding = try matrix(n.embedding, rows: c.vocabularySize, columns: c.hiddenSize)
        var blocks: [TransformerBlock] = []
        for i in 0 ..< c.layerCount {
            let l = n.layer(i)
            blocks.append(TransformerBlock(
                attentionNorm: try norm(l.attentionNorm),
                attention: Attention(
                    wq: try matrix(l.wq, rows: qWidth, columns: c.hiddenSize),
                    wk: try matrix(l.wk, rows: kvWidth, columns: c.hiddenSize),
                    wv: try matrix(l.wv, rows: kvWidth, columns: c.hiddenSize),
                    wo: try matrix(l.wo, rows: c.hiddenSize, columns: qWidth)),
                mlpNorm: try norm(l.mlpNorm),
                mlp: MLP(
                    gate: try matrix(l.gate, rows: c.intermediateSize, columns: c.hiddenSize),
                    up: try matrix(l.up, rows: c.intermediateSize, columns: c.hiddenSize),
                    down: try matrix(l.down, rows: c.hiddenSize, columns: c.intermediateSize))))
        }
        let finalNorm = try norm(n.finalNorm)
        // Tied embeddings (Llama 3.2 1B/3B): the embedding matrix is also the output projection.
        let output = tied && !weights.contains(n.output)
            ? embedding : try matrix(n.output, rows: c.vocabularySize, columns: c.hiddenSize)
        let model = LlamaModel(configuration: c, backend: backend, embedding: embedding, blocks: blocks,
                               finalNorm: finalNorm, output: output, inverseFrequencies: inverseFrequencies,
                               ropeLayout: ropeLayout)
        return (model, residentBytes)
    }
}

extension CheckpointWeights.Names {
    /// `transformers` state-dict names (`LlamaForCausalLM`).
    static var huggingFace: CheckpointWeights.Names { CheckpointWeights.Names(
        embedding: "model.embed_tokens.weight", output: "lm_head.weight", finalNorm: "model.norm.weight",
        layer: { i in
            let p = "model.layers.\(i)."
            return .init(attentionNorm: p + "input_layernorm.weight",
                         wq: p + "self_attn.q_proj.weight", wk: p + "self_attn.k_proj.weight",
                         wv: p + "self_attn.v_proj.weight", wo: p + "self_attn.o_proj.weight",
                         mlpNorm: p + "post_attention_layernorm.weight",
                         gate: p + "mlp.gate_proj.weight", up: p + "mlp.up_proj.weight", down: p + "mlp.down_proj.weight")
        }) }

    /// Meta's original `consolidated.*.pth` names.
    static var meta: CheckpointWeights.Names { CheckpointWeights.Names(
        embedding: "tok_embeddings.weight", output: "output.weight", finalNorm: "norm.weight",
        layer: { i in
            let p = "layers.\(i)."
            return .init(attentionNorm: p + "attention_norm.weight",
                         wq: p + "attention.wq.weight", wk: p + "attention.wk.weight",
                         wv: p + "attention.wv.weight", wo: p + "attention.wo.weight",
                         mlpNorm: p + "ffn_norm.weight",
                         gate: p + "feed_forward.w1.weight", up: p + "feed_forward.w3.weight", down: p + "feed_forward.w2.weight")
        }) }
}
