/// The Llama transformer: token embedding, `layerCount` blocks of attention and MLP, final norm, output.
///
/// Immutable after loading and `Sendable`: any number of sessions (each with its own ``InferenceState``)
/// can share one model. The forward pass is written only against ``Backend``.
public final class LlamaModel: Sendable {
    public let configuration: LlamaConfiguration
    public let backend: any Backend
    let embedding: any BackendTensor
    let blocks: [TransformerBlock]
    let finalNorm: any BackendTensor
    let output: any BackendTensor  // the embedding itself when tied
    let inverseFrequencies: [Float]
    let ropeLayout: RopeLayout

    /// Multi-head attention with grouped key/value heads.
    struct Attention: Sendable {
        let wq, wk, wv, wo: any BackendTensor
        /// Q, K and V project the same input: backends may run them as one pass.
        let qkv: [any BackendTensor]

        init(wq: any BackendTensor, wk: any BackendTensor, wv: any BackendTensor, wo: any BackendTensor) {
            (self.wq, self.wk, self.wv, self.wo) = (wq, wk, wv, wo)
            qkv = [wq, wk, wv]
        }
    }

    /// The SwiGLU feed-forward network: down(silu(gate(x)) * up(x)).
    struct MLP: Sendable {
        let gate, up, down: any BackendTensor
    }

    struct TransformerBlock: Sendable {
        let attentionNorm: any BackendTensor
        let attention: Attention
        let mlpNorm: any BackendTensor
        let mlp: MLP
    }

    init(configuration: LlamaConfiguration, backend: any Backend, embedding: any BackendTensor,
         blocks: [TransformerBlock], finalNorm: any BackendTensor, output: any BackendTensor,
         inverseFrequencies: [Float], ropeLayout: RopeLayout) {
        self.configuration = configuration
        self.backend = backend
        self.embedding = embedding
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.output = output
        self.inverseFrequencies = inverseFrequencies
        self.ropeLayout = ropeLayout
    }

    /// A fresh KV cache and scratch space for one sequence.
    public func makeState(contextLength: Int, batchCapacity: Int = 256) throws -> InferenceState {
        try InferenceState(configuration: configuration, backend: backend, contextLength: contextLength, batchCapacity: batchCapacity)
    }

    /// Which logits a forward pass returns.
    public enum LogitsSelection: Sendable {
        case lastPosition
        case allPositions
    }

    /// Evaluates `tokens` at the state's next positions, appending them to its KV cache.
    ///
    /// - Returns: logits, row-major: `[vocabularySize]` for `.lastPosition`, `[tokens.count, vocabularySize]`
    ///   for `.allPositions`.
    public func forward(_ tokens: [Int32], state: InferenceState, logits selection: LogitsSelection = .lastPosition) throws -> [Float] {
        guard !tokens.isEmpty else { throw ModelError.emptyInput }
        let vocab = configuration.vocabularySize
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= vocab || Int($0) >= embedding.rows }) {
            throw ModelError.tokenOutOfRange(id: bad, vocabularySize: min(vocab, embedding.rows))
        }
        guard state.position + tokens.count <= state.contextLength else {
            throw ModelError.contextOverflow(needed: state.position + tokens.count, contextLength: state.contextLength)
        }
        var result: [Float] = []
        var start = 0
        while start < tokens.count {
            let chunk = Array(tokens[start ..< min(tokens.count, start + state.batchCapacity)])
            let isLast = start + chunk.count == tokens.count
            try evaluate(chunk, state: state)
            if selection == .allPositions {
                result += try outputLogits(state: state, rows: chunk.count)
            } else if isLast {
                result = try outputLogits(state: state, lastOf: chunk.count)
            }
            state.position += chunk.count
            start += chunk.count
        }
        return result
    }

    /// Runs every block over one chunk; leaves the final hidden states in `state.x`.
    private func evaluate(_ tokens: [Int32], state s: InferenceState) throws {
        let c = configuration
        let n = tokens.count
        try backend.getRows(embedding, ids: tokens, into: s.x)
        for (layer, block) in blocks.enumerated() {
            // Attention: x += wo · attention(rope(wq · norm(x)), rope(wk · norm(x)), wv · norm(x))
            try backend.rmsNorm(s.x, weight: block.attentionNorm, epsilon: c.rmsNormEpsilon, into: s.normed, rows: n)
            try backend.matmul(s.normed, weights: block.attention.qkv, into: s.qkv, rows: n)
            try backend.rope(s.q, rows: n, heads: c.headCount, headDim: c.headDim, firstPosition: s.position,
                             inverseFrequencies: inverseFrequencies, layout: ropeLayout)
            try backend.rope(s.k, rows: n, heads: c.kvHeadCount, headDim: c.headDim, firstPosition: s.position,
                             inverseFrequencies: inverseFrequencies, layout: ropeLayout)
            try backend.copyRows(s.k, sourceRow: 0, into: s.keys[layer], destinationRow: s.position, rows: n)
            try backend.copyRows(s.v, sourceRow: 0, into: s.values[layer], destinationRow: s.position, rows: n)
            try backend.attention(query: s.q, keys: s.keys[layer], values: s.values[layer], into: s.attended,
                                  rows: n, firstPosition: s.position, heads: c.headCount, kvHeads: c.kvHeadCount,
                                  headDim: c.headDim, scale: 1 / Float(c.headDim).squareRoot())
            try backend.matmul(s.attended, weight: block.attention.wo, into: s.projected, rows: n)
            try backend.add(s.projected, into: s.x, rows: n)

            // MLP: x += down(silu(gate · norm(x)) * (up · norm(x)))
            try backend.rmsNorm(s.x, weight: block.mlpNorm, epsilon: c.rmsNormEpsilon, into: s.normed, rows: n)
            try backend.gatedMatmul(s.normed, gate: block.mlp.gate, up: block.mlp.up, into: s.gate, scratch: s.up, rows: n)
            try backend.matmul(s.gate, weight: block.mlp.down, into: s.projected, rows: n)
            try backend.add(s.projected, into: s.x, rows: n)
        }
    }

    /// Logits of the last row of the chunk.
    private func outputLogits(state s: InferenceState, lastOf rows: Int) throws -> [Float] {
        try backend.copyRows(s.x, sourceRow: rows - 1, into: s.lastRow, destinationRow: 0, rows: 1)
        try backend.rmsNorm(s.lastRow, weight: finalNorm, epsilon: configuration.rmsNormEpsilon, into: s.lastRow, rows: 1)
        let logits = try s.logits(rows: 1)
        try backend.matmul(s.lastRow, weight: output, into: logits, rows: 1)
        return try backend.read(logits, rows: 0 ..< 1)
    }

    /// Logits of every row of the chunk.
    private func outputLogits(state s: InferenceState, rows: Int) throws -> [Float] {
        try backend.rmsNorm(s.x, weight: finalNorm, epsilon: configuration.rmsNormEpsilon, into: s.normed, rows: rows)
        let logits = try s.logits(rows: s.batchCapacity)
        try backend.matmul(s.normed, weight: output, into: logits, rows: rows)
        return try backend.read(logits, rows: 0 ..< rows)
    }
}
