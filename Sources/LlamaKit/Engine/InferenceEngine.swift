import Foundation

/// Serves many generation requests on one loaded model at once (continuous batching).
///
/// Every step evaluates one forward pass holding the next token of each running sequence and chunks of new
/// prompts, so the weights are read once per step for all of them and a long new prompt does not stall the
/// streams already running. The work runs on the engine's own thread, never on Swift's cooperative pool or
/// the caller's actor; each request gets an `AsyncSequence` of events. Keys and values live in one paged KV
/// cache whose full blocks are shared between requests with the same prefix (see <doc:Engine>).
///
/// ```swift
/// let engine = try InferenceEngine(model: model)
/// for try await event in engine.generate(prompt: tokens) {
///     if case .text(let piece) = event { print(piece, terminator: "") }
/// }
/// ```
///
/// Cancelling the consuming task, leaving the loop, or dropping the stream stops the request within one step
/// and frees its cache blocks. Batching does not change results: a sequence's logits equal its logits
/// evaluated alone up to float32 summation order.
public final class InferenceEngine: Sendable {
    public let model: LanguageModel
    public let configuration: EngineConfiguration
    private let inbox: EngineInbox

    /// Starts the engine's thread. Allocates the KV cache (``EngineConfiguration/cacheTokens``) and scratch for
    /// ``EngineConfiguration/maxBatchTokens`` rows on the model's backend.
    public init(model: LanguageModel, configuration: EngineConfiguration = EngineConfiguration()) throws {
        let blockCount = try configuration.blockCount()
        self.model = model
        self.configuration = configuration
        let cache = try model.network.makeCache(rows: blockCount * configuration.blockSize)
        let statistics = EngineStatistics(totalBlocks: blockCount, blockSize: configuration.blockSize, usedBlocks: 0,
                                          cachedBlocks: 0, runningSequences: 0, waitingRequests: 0,
                                          prefixCacheHitTokens: 0, promptTokens: 0, steps: 0, evaluatedRows: 0)
        let inbox = EngineInbox(limit: configuration.maxSequences + configuration.maxQueued, statistics: statistics)
        self.inbox = inbox
        let thread = Thread { [configuration] in
            // The scratch is made on the thread that uses it: it never leaves it.
            do {
                let scratch = try model.network.makeScratch(capacity: configuration.maxBatchTokens)
                var loop = EngineLoop(model: model, configuration: configuration, cache: cache, scratch: scratch,
                                      blocks: KVBlockManager(blockSize: configuration.blockSize, blockCount: blockCount),
                                      inbox: inbox)
                loop.run()
            } catch {
                EngineLoop.failEverything(inbox: inbox, error: error)
            }
        }
        thread.name = "LlamaKit engine"
        thread.start()
    }

    deinit { inbox.shutDown() }

    /// Generates a continuation of `prompt` (token ids, e.g. a rendered chat): text pieces as they are
    /// produced, then one ``GenerationEvent/finished(_:)``. The stream throws ``EngineError/queueFull(limit:)``
    /// when too many requests are outstanding, and ``ModelError`` for a prompt the model cannot take.
    public func generate(prompt: [Int32], options: GenerationOptions = GenerationOptions()) -> AsyncThrowingStream<GenerationEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self, throwing: Error.self)
        if let problem = check(prompt) {
            continuation.finish(throwing: problem)
            return stream
        }
        switch inbox.submit(prompt: prompt, options: options, continuation: continuation) {
        case let .success(id):
            continuation.onTermination = { [inbox] termination in
                if case .cancelled = termination { inbox.cancel(id) }
            }
        case let .failure(error):
            continuation.finish(throwing: error)
        }
        return stream
    }

    /// Generates a whole continuation of `prompt`. Cancelling the calling task stops it within one step.
    public func complete(prompt: [Int32], options: GenerationOptions = GenerationOptions(),
                         onText: @Sendable (String) -> Void = { _ in }) async throws -> GenerationResult {
        for try await event in generate(prompt: prompt, options: options) {
            switch event {
            case let .text(piece): onText(piece)
            case let .finished(result): return result
            }
        }
        throw CancellationError()
    }

    /// How full the cache and the queues are, as of the last step.
    public var statistics: EngineStatistics { inbox.statistics }

    /// Stops the engine: running and waiting requests finish as cancelled, new ones are refused.
    public func shutDown() { inbox.shutDown() }

    private func check(_ prompt: [Int32]) -> Error? {
        if prompt.isEmpty { return ModelError.emptyInput }
        let vocabulary = min(model.configuration.vocabularySize, model.tokenizer.vocabularySize)
        if let bad = prompt.first(where: { $0 < 0 || Int($0) >= model.configuration.vocabularySize }) {
            return ModelError.tokenOutOfRange(id: bad, vocabularySize: vocabulary)
        }
        if prompt.count >= configuration.contextLength {
            return ModelError.contextOverflow(needed: prompt.count + 1, contextLength: configuration.contextLength)
        }
        let capacity = inbox.statistics.capacityTokens
        if prompt.count + 1 > capacity { return EngineError.cacheTooSmall(tokens: prompt.count + 1, capacity: capacity) }
        return nil
    }
}
