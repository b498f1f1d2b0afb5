/// The mutable part of inference: one sequence's KV cache and the scratch activations of a forward pass.
///
/// A model is immutable and shared; each session owns one of these. Scratch tensors are sized for
/// `batchCapacity` rows and reused for every chunk; the KV cache holds `contextLength` positions.
public final class InferenceState {
    public let contextLength: Int
    public let batchCapacity: Int
    /// Positions already written to the KV cache.
    public internal(set) var position: Int = 0

    let keys: [any BackendTensor]
    let values: [any BackendTensor]
    let x: any BackendTensor        // residual stream      [batch, hidden]
    let normed: any BackendTensor   // normalised input     [batch, hidden]
    let q: any BackendTensor        // queries              [batch, heads * headDim]
    let k: any BackendTensor        // new keys             [batch, kvHeads * headDim]
    let v: any BackendTensor        // new values           [batch, kvHeads * headDim]
    let attended: any BackendTensor // attention output     [batch, heads * headDim]
    let projected: any BackendTensor // block output        [batch, hidden]
    let gate: any BackendTensor     // MLP gate             [batch, ffn]
    let up: any BackendTensor       // MLP up               [batch, ffn]
    let lastRow: any BackendTensor  // final row only       [1, hidden]
    let qkv: [any BackendTensor]    // [q, k, v], the outputs of one multi-projection matmul
    private var logitsRows: (any BackendTensor)?
    private let backend: any Backend
    private let vocabularySize: Int

    init(configuration c: LlamaConfiguration, backend: any Backend, contextLength: Int, batchCapacity: Int) throws {
        guard contextLength > 0 else { throw ModelError.invalidConfiguration("context length must be positive") }
        self.contextLength = contextLength
        self.batchCapacity = max(1, min(batchCapacity, contextLength))
        self.backend = backend
        self.vocabularySize = c.vocabularySize
        let b = self.batchCapacity
        let kvWidth = c.kvHeadCount * c.headDim
        keys = try (0 ..< c.layerCount).map { _ in try backend.makeTensor(type: .f32, rows: contextLength, columns: kvWidth) }
        values = try (0 ..< c.layerCount).map { _ in try backend.makeTensor(type: .f32, rows: contextLength, columns: kvWidth) }
        x = try backend.makeTensor(type: .f32, rows: b, columns: c.hiddenSize)
        normed = try backend.makeTensor(type: .f32, rows: b, columns: c.hiddenSize)
        q = try backend.makeTensor(type: .f32, rows: b, columns: c.headCount * c.headDim)
        k = try backend.makeTensor(type: .f32, rows: b, columns: kvWidth)
        v = try backend.makeTensor(type: .f32, rows: b, columns: kvWidth)
        attended = try backend.makeTensor(type: .f32, rows: b, columns: c.headCount * c.headDim)
        projected = try backend.makeTensor(type: .f32, rows: b, columns: c.hiddenSize)
        gate = try backend.makeTensor(type: .f32, rows: b, columns: c.intermediateSize)
        up = try backend.makeTensor(type: .f32, rows: b, columns: c.intermediateSize)
        lastRow = try backend.makeTensor(type: .f32, rows: 1, columns: c.hiddenSize)
        qkv = [q, k, v]
    }

    /// Logits for up to `rows` positions at once (allocated on first use: only "all positions" needs it).
    func logits(rows: Int) throws -> any BackendTensor {
        if let existing = logitsRows, existing.rows >= rows { return existing }
        let tensor = try backend.makeTensor(type: .f32, rows: max(rows, 1), columns: vocabularySize)
        logitsRows = tensor
        return tensor
    }

    /// Forgets positions at and after `position` (the cache keeps earlier ones).
    public func truncate(to position: Int) {
        self.position = max(0, min(position, self.position))
    }

    /// Benchmarks only: fills the first `positions` rows of every layer's keys and values with arbitrary
    /// values and treats them as cached, so a decode step can be timed at a long context without computing
    /// one first (attention costs the same whatever the cached values are, but it must read real memory:
    /// untouched cache pages would all map the kernel's one zero page and stay in cache).
    @_spi(Benchmarking)
    public func assumeCached(positions: Int) throws {
        guard positions >= 0, positions <= contextLength else {
            throw ModelError.contextOverflow(needed: positions, contextLength: contextLength)
        }
        if positions > filledForBenchmarks, let width = keys.first?.columns {
            let rows = positions - filledForBenchmarks
            let values = (0 ..< rows * width).map { Float(($0 * 7919) % 2003) / 1001 - 1 }
            for layer in keys.indices {
                try backend.write(values, to: keys[layer], firstRow: filledForBenchmarks)
                try backend.write(values, to: self.values[layer], firstRow: filledForBenchmarks)
            }
            filledForBenchmarks = positions
        }
        position = positions
    }
    private var filledForBenchmarks = 0

    /// Bytes held by the KV cache.
    public var kvCacheBytes: Int { 2 * keys.count * contextLength * (keys.first?.columns ?? 0) * 4 }
}
