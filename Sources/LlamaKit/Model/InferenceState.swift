/// One sequence's KV cache and the scratch activations of its forward passes.
///
/// A model is immutable and shared; each ``Session`` owns one of these. The cache holds the sequence
/// contiguously, position `p` at cache row `p`; scratch is sized for `batchCapacity` rows and reused for every
/// chunk. (The engine keeps many sequences in one block-allocated cache instead: ``InferenceEngine``.)
public final class InferenceState {
    public let contextLength: Int
    public let batchCapacity: Int
    /// Positions already written to the KV cache.
    public internal(set) var position: Int = 0

    let cache: KVCache
    let scratch: ForwardScratch
    /// Cache row of every position: the identity, since the sequence is stored from row 0.
    let slots: [Int32]
    private let backend: any Backend

    init(configuration c: LlamaConfiguration, backend: any Backend, contextLength: Int, batchCapacity: Int) throws {
        guard contextLength > 0, contextLength <= Int(Int32.max) else {
            throw ModelError.invalidConfiguration("context length must be between 1 and \(Int32.max)")
        }
        self.contextLength = contextLength
        self.batchCapacity = max(1, min(batchCapacity, contextLength))
        self.backend = backend
        cache = try KVCache(configuration: c, backend: backend, rows: contextLength)
        scratch = try ForwardScratch(configuration: c, backend: backend, capacity: self.batchCapacity)
        slots = (0 ..< Int32(contextLength)).map { $0 }
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
        if positions > filledForBenchmarks, let width = cache.keys.first?.columns {
            let rows = positions - filledForBenchmarks
            let values = (0 ..< rows * width).map { Float(($0 * 7919) % 2003) / 1001 - 1 }
            for layer in cache.keys.indices {
                try backend.write(values, to: cache.keys[layer], firstRow: filledForBenchmarks)
                try backend.write(values, to: cache.values[layer], firstRow: filledForBenchmarks)
            }
            filledForBenchmarks = positions
        }
        position = positions
    }
    private var filledForBenchmarks = 0

    /// Bytes held by the KV cache.
    public var kvCacheBytes: Int { cache.bytes }
}
