import Dispatch

/// The engine's thread: schedule a step, evaluate it in one forward pass, sample every sequence whose logits
/// came back, stream what they produced; again until shut down.
///
/// The scheduler decides who runs (``Scheduler``), the block manager where their keys and values live
/// (``KVBlockManager``), the model evaluates the batch (``LlamaModel/forward(_:cache:scratch:)``), and each
/// sequence's ``TokenSelector`` turns its logits into tokens and text.
struct EngineLoop {
    let model: LanguageModel
    let configuration: EngineConfiguration
    let cache: KVCache
    let scratch: ForwardScratch
    var blocks: KVBlockManager
    let inbox: EngineInbox
    private var scheduler: Scheduler
    private var sequences: [UInt64: EngineSequence] = [:]
    private var statistics: EngineStatistics

    init(model: LanguageModel, configuration: EngineConfiguration, cache: KVCache, scratch: ForwardScratch,
         blocks: KVBlockManager, inbox: EngineInbox) {
        self.model = model
        self.configuration = configuration
        self.cache = cache
        self.scratch = scratch
        self.blocks = blocks
        self.inbox = inbox
        scheduler = Scheduler(maxSequences: configuration.maxSequences, maxBatchTokens: configuration.maxBatchTokens)
        statistics = inbox.statistics
    }

    mutating func run() {
        while true {
            let news = inbox.take(wait: scheduler.isIdle)
            for submission in news.submissions {
                let sequence = EngineSequence(id: submission.id, prompt: submission.prompt, options: submission.options,
                                              tokenizer: model.tokenizer, continuation: submission.continuation)
                statistics.promptTokens += submission.prompt.count
                if sequence.selector.isExhausted {
                    sequences[sequence.id] = sequence
                    finish(sequence, .maxTokens)
                    continue
                }
                sequences[sequence.id] = sequence
                scheduler.enqueue(sequence)
            }
            for id in news.cancellations {
                if let sequence = sequences[id] { finish(sequence, .cancelled) }
            }
            if news.shutDown {
                for sequence in Array(sequences.values) { finish(sequence, .cancelled) }
                publish()
                return
            }
            step()
            publish()
        }
    }

    /// One forward pass over what the scheduler picked.
    private mutating func step() {
        let (pieces, starved) = scheduler.nextStep(blocks: &blocks)
        for sequence in starved {
            fail(sequence, EngineError.cacheTooSmall(tokens: sequence.tokens.count, capacity: cache.rows))
        }
        guard !pieces.isEmpty else { return }
        var builder = BatchBuilder()
        let now = DispatchTime.now()
        do {
            for piece in pieces {
                let s = piece.sequence
                if s.admitted == nil { s.admitted = now }
                try builder.add(tokens: Array(s.tokens[s.computed ..< s.computed + piece.count]), firstPosition: s.computed,
                                cacheSlots: s.slots[...], logits: piece.wantsLogits ? .last : .none)
            }
        } catch {
            for piece in pieces { fail(piece.sequence, error) }
            return
        }
        let logits: [Float]
        do {
            logits = try model.network.forward(builder.batch, cache: cache, scratch: scratch)
        } catch {
            for piece in pieces { fail(piece.sequence, error) }
            return
        }
        statistics.steps += 1
        statistics.evaluatedRows += builder.batch.count

        let vocabulary = model.configuration.vocabularySize
        var logitsRow = 0
        for piece in pieces {
            let s = piece.sequence
            let wantsLogits = piece.wantsLogits
            s.computed += piece.count
            registerFullBlocks(of: s)
            guard wantsLogits else { continue }
            let row = Array(logits[logitsRow * vocabulary ..< (logitsRow + 1) * vocabulary])
            logitsRow += 1
            if s.firstToken == nil { s.firstToken = DispatchTime.now() }
            do {
                switch try s.selector.accept(logits: row) {
                case let .next(_, text):
                    if !text.isEmpty { s.continuation.yield(.text(text)) }
                    // The new token would sit at position tokens.count - 1: past the context, it cannot be evaluated.
                    if s.tokens.count > configuration.contextLength { finish(s, .contextFull) }
                case let .finished(reason, text):
                    if !text.isEmpty { s.continuation.yield(.text(text)) }
                    finish(s, reason)
                }
            } catch {
                fail(s, error)
            }
        }
    }

    /// Registers the sequence's newly filled blocks for prefix sharing.
    private mutating func registerFullBlocks(of s: EngineSequence) {
        let size = blocks.blockSize
        while s.contentIDs.count < s.computed / size {
            let index = s.contentIDs.count
            let tokens = Array(s.tokens[index * size ..< (index + 1) * size])
            let id = blocks.register(s.blocks[index], tokens: tokens, parent: s.contentIDs.last ?? 0)
            s.contentIDs.append(id)
        }
    }

    /// Ends a request: streams what text was still held back (nothing when the selector itself ended it) and
    /// the result, and frees its blocks.
    private mutating func finish(_ s: EngineSequence, _ reason: StopReason) {
        let rest = s.selector.finish()
        if !rest.isEmpty { s.continuation.yield(.text(rest)) }
        let end = DispatchTime.now()
        let admitted = s.admitted ?? end, first = s.firstToken ?? end
        let prompt = s.selector.promptCount
        let cached = min(s.cachedPromptTokens ?? 0, prompt)
        statistics.prefixCacheHitTokens += cached
        let stats = GenerationStats(promptTokens: prompt, evaluatedPromptTokens: prompt - cached,
                                    generatedTokens: s.selector.generated.count,
                                    promptSeconds: Self.seconds(admitted, first),
                                    generationSeconds: Self.seconds(first, end),
                                    timeToFirstToken: Self.seconds(s.submitted, first))
        s.continuation.yield(.finished(GenerationResult(text: s.selector.text, tokens: s.selector.generated,
                                                        stopReason: reason, stats: stats)))
        s.continuation.finish()
        remove(s)
    }

    private mutating func fail(_ s: EngineSequence, _ error: Error) {
        s.continuation.finish(throwing: error)
        remove(s)
    }

    private mutating func remove(_ s: EngineSequence) {
        scheduler.remove(s, blocks: &blocks)
        if sequences.removeValue(forKey: s.id) != nil { inbox.finished(1) }
    }

    private mutating func publish() {
        statistics.usedBlocks = blocks.usedBlocks
        statistics.cachedBlocks = blocks.cachedBlocks
        statistics.runningSequences = scheduler.running.count
        statistics.waitingRequests = scheduler.waiting.count
        statistics.preemptions = scheduler.preemptions
        inbox.publish(statistics)
    }

    /// The engine could not start (no memory for its scratch): every request, now and later, gets the error.
    static func failEverything(inbox: EngineInbox, error: Error) {
        inbox.shutDown()
        while true {
            let news = inbox.take(wait: false)
            for submission in news.submissions { submission.continuation.finish(throwing: error) }
            inbox.finished(news.submissions.count)
            if news.submissions.isEmpty { return }
        }
    }

    private static func seconds(_ from: DispatchTime, _ to: DispatchTime) -> Double {
        to.uptimeNanoseconds > from.uptimeNanoseconds ? Double(to.uptimeNanoseconds - from.uptimeNanoseconds) / 1e9 : 0
    }
}
