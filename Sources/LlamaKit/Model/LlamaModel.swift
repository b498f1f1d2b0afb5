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

    /// A KV cache of `rows` cache rows on the model's backend (the engine's block pool).
    public func makeCache(rows: Int) throws -> KVCache {
        try KVCache(configuration: configuration, backend: backend, rows: rows)
    }

    /// Scratch activations for passes of up to `capacity` rows.
    public func makeScratch(capacity: Int) throws -> ForwardScratch {
        try ForwardScratch(configuration: configuration, backend: backend, capacity: capacity)
    }

    /// Evaluates `tokens` at the state's next positions, appending them to its KV cache.
    ///
    /// - Returns: logits, row-major: `[vocabularySize]` for `.lastPosition`, `[tokens.count, vocabularySize]`
    ///   for `.allPositions`.
    public func forward(_ tokens: [Int32], state: InferenceState, logits selection: LogitsSelection = .lastPosition) throws -> [Float] {
        guard !tokens.isEmpty else { throw ModelError.emptyInput }
        // Every token up front: a bad one in a later chunk must not leave the earlier ones in the cache.
        try checkTokens(tokens)
        guard state.position + tokens.count <= state.contextLength else {
            throw ModelError.contextOverflow(needed: state.position + tokens.count, contextLength: state.contextLength)
        }
        var result: [Float] = []
        var start = 0
        while start < tokens.count {
            let chunk = Array(tokens[start ..< min(tokens.count, start + state.batchCapacity)])
            let isLast = start + chunk.count == tokens.count
            var builder = BatchBuilder()
            try builder.add(tokens: chunk, firstPosition: state.position, cacheSlots: state.slots[...],
                            logits: selection == .allPositions ? .all : isLast ? .last : .none)
            result += try forward(builder.batch, cache: state.cache, scratch: state.scratch)
            state.position += chunk.count
            start += chunk.count
        }
        return result
    }

    /// Evaluates one batch: every row's keys and values go to its cache slot, and each row attends to its own
    /// sequence's positions (``Batch/attention``).
    ///
    /// - Returns: the logits of ``Batch/logitRows``, row-major `[logitRows.count, vocabularySize]`.
    public func forward(_ batch: Batch, cache: KVCache, scratch: ForwardScratch) throws -> [Float] {
        let n = batch.count
        guard n > 0 else { throw ModelError.emptyInput }
        guard n <= scratch.capacity else {
            throw ModelError.invalidConfiguration("a batch of \(n) rows exceeds the scratch capacity of \(scratch.capacity)")
        }
        guard batch.positions.count == n, batch.slots.count == n,
              batch.slots.allSatisfy({ $0 >= 0 && Int($0) < cache.rows }),
              batch.logitRows.allSatisfy({ (0 ..< n).contains($0) })
        else {
            throw ModelError.invalidConfiguration("a batch of \(n) rows with \(batch.positions.count) positions, \(batch.slots.count) slots, logits of rows \(batch.logitRows)")
        }
        try checkTokens(batch.tokens)
        try evaluate(batch, cache: cache, scratch: scratch)
        return batch.logitRows.isEmpty ? [] : try outputLogits(batch.logitRows, of: n, scratch: scratch)
    }

    private func checkTokens(_ tokens: [Int32]) throws {
        let vocab = configuration.vocabularySize
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= vocab || Int($0) >= embedding.rows }) {
            throw ModelError.tokenOutOfRange(id: bad, vocabularySize: min(vocab, embedding.rows))
        }
    }

    /// Runs every block over one batch; leaves the final hidden states in `s.x`.
    private func evaluate(_ b: Batch, cache: KVCache, scratch s: ForwardScratch) throws {
        let c = configuration
        let n = b.count
        try backend.getRows(embedding, ids: b.tokens, into: s.x)
        for (layer, block) in blocks.enumerated() {
            // Attention: x += wo · attention(rope(wq · norm(x)), rope(wk · norm(x)), wv · norm(x))
            try backend.rmsNorm(s.x, weight: block.attentionNorm, epsilon: c.rmsNormEpsilon, into: s.normed, rows: n)
            try backend.matmul(s.normed, weights: block.attention.qkv, into: s.qkv, rows: n)
            try backend.rope(s.q, rows: n, heads: c.headCount, headDim: c.headDim, positions: b.positions,
                             inverseFrequencies: inverseFrequencies, layout: ropeLayout)
            try backend.rope(s.k, rows: n, heads: c.kvHeadCount, headDim: c.headDim, positions: b.positions,
                             inverseFrequencies: inverseFrequencies, layout: ropeLayout)
            try backend.storeRows(s.k, into: cache.keys[layer], slots: b.slots)
            try backend.storeRows(s.v, into: cache.values[layer], slots: b.slots)
            try backend.attention(query: s.q, keys: cache.keys[layer], values: cache.values[layer], into: s.attended,
                                  rows: n, layout: b.attention, heads: c.headCount, kvHeads: c.kvHeadCount,
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

    /// Logits of the chosen rows of the pass: final norm, then the output projection.
    private func outputLogits(_ rows: [Int], of n: Int, scratch s: ForwardScratch) throws -> [Float] {
        if rows != Array(0 ..< n) {
            for (index, row) in rows.enumerated() {
                try backend.copyRows(s.x, sourceRow: row, into: s.selected, destinationRow: index, rows: 1)
            }
            try backend.rmsNorm(s.selected, weight: finalNorm, epsilon: configuration.rmsNormEpsilon, into: s.selected, rows: rows.count)
        } else {
            try backend.rmsNorm(s.x, weight: finalNorm, epsilon: configuration.rmsNormEpsilon, into: s.selected, rows: n)
        }
        let logits = try s.logits(rows: rows.count)
        try backend.matmul(s.selected, weight: output, into: logits, rows: rows.count)
        return try backend.read(logits, rows: 0 ..< rows.count)
    }
}
