/// Limits of an ``InferenceEngine``.
public struct EngineConfiguration: Sendable, Equatable {
    /// Sequences evaluated together (the batch's decode rows); more requests wait in the queue.
    public var maxSequences: Int
    /// Rows in one forward pass: one per generating sequence, the rest for prompt chunks.
    public var maxBatchTokens: Int
    /// Requests that may wait beyond ``maxSequences``; more are refused with ``EngineError/queueFull(limit:)``.
    public var maxQueued: Int
    /// Positions one sequence may hold (prompt plus generated tokens).
    public var contextLength: Int
    /// Cache rows per block of the paged KV cache.
    public var blockSize: Int
    /// Cache rows in all (`nil`: room for ``maxSequences`` full contexts). Memory is touched only as blocks are
    /// used, but a GPU backend allocates it all.
    public var cacheTokens: Int?

    public init(maxSequences: Int = 16, maxBatchTokens: Int = 256, maxQueued: Int = 256, contextLength: Int = 4096,
                blockSize: Int = 16, cacheTokens: Int? = nil) {
        self.maxSequences = maxSequences
        self.maxBatchTokens = maxBatchTokens
        self.maxQueued = maxQueued
        self.contextLength = contextLength
        self.blockSize = blockSize
        self.cacheTokens = cacheTokens
    }

    /// Cache blocks the configuration asks for, after checking every limit.
    func blockCount() throws -> Int {
        // Upper bounds keep a mistyped option from asking for a runaway allocation (scratch grows with
        // maxBatchTokens, the cache with maxSequences × contextLength).
        let limits = [("maxSequences", maxSequences, 4096), ("maxBatchTokens", maxBatchTokens, 65536),
                      ("contextLength", contextLength, 1 << 24), ("blockSize", blockSize, 4096)]
        for (name, value, bound) in limits where value < 1 || value > bound {
            throw EngineError.invalidConfiguration("\(name) must be between 1 and \(bound) (got \(value))")
        }
        guard maxQueued >= 0 else { throw EngineError.invalidConfiguration("maxQueued must not be negative") }
        guard maxBatchTokens >= maxSequences else {
            throw EngineError.invalidConfiguration("maxBatchTokens (\(maxBatchTokens)) must leave a row for each of maxSequences (\(maxSequences))")
        }
        let (full, overflow) = maxSequences.multipliedReportingOverflow(by: contextLength)
        let tokens = cacheTokens ?? (overflow ? Int.max : full)
        guard tokens >= blockSize, tokens <= Int(Int32.max) else {
            throw EngineError.invalidConfiguration("cacheTokens must be between blockSize and \(Int32.max) (got \(tokens))")
        }
        return tokens / blockSize
    }
}

/// How full the engine's KV cache and queues are.
public struct EngineStatistics: Sendable, Equatable {
    /// Cache blocks in all, and rows per block.
    public var totalBlocks: Int
    public var blockSize: Int
    /// Blocks held by running sequences.
    public var usedBlocks: Int
    /// Blocks that hold a finished sequence's prefix, kept for reuse until their memory is needed.
    public var cachedBlocks: Int
    /// Sequences being evaluated, and requests waiting for a place.
    public var runningSequences: Int
    public var waitingRequests: Int
    /// Prompt tokens found in the prefix cache instead of being evaluated, since the engine started.
    public var prefixCacheHitTokens: Int
    /// Prompt tokens submitted since the engine started.
    public var promptTokens: Int
    /// Forward passes run, and rows evaluated, since the engine started.
    public var steps: Int
    public var evaluatedRows: Int
    /// Sequences sent back to the queue because the cache had no block for them (evaluated again later).
    public var preemptions: Int = 0

    /// Cache rows in all.
    public var capacityTokens: Int { totalBlocks * blockSize }
    /// Fraction of the cache held by running sequences.
    public var usage: Double { totalBlocks > 0 ? Double(usedBlocks) / Double(totalBlocks) : 0 }
}

/// Errors of the engine.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case invalidConfiguration(String)
    /// More requests than ``EngineConfiguration/maxSequences`` + ``EngineConfiguration/maxQueued`` are outstanding.
    case queueFull(limit: Int)
    /// The engine was shut down.
    case shutDown
    /// The KV cache cannot hold this request even alone.
    case cacheTooSmall(tokens: Int, capacity: Int)

    public var description: String {
        switch self {
        case let .invalidConfiguration(message): return "Invalid engine configuration: \(message)"
        case let .queueFull(limit): return "The engine already has \(limit) requests outstanding; try again later."
        case .shutDown: return "The engine has been shut down."
        case let .cacheTooSmall(tokens, capacity):
            return "A sequence of \(tokens) tokens does not fit the engine's KV cache of \(capacity) tokens."
        }
    }
}
