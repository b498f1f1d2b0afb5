import Foundation

/// One sequence being generated: a KV cache plus the tokens it holds.
///
/// A new prompt that starts with tokens already in the cache evaluates only the rest, so multi-turn chats
/// pay only for what each turn adds. Calls are serialised: a session generates one thing at a time.
public final class Session: @unchecked Sendable {
    public let model: LanguageModel
    public var contextLength: Int { state.contextLength }
    private let state: InferenceState
    private var cached: [Int32] = []
    private let lock = NSLock()

    public init(model: LanguageModel, contextLength: Int = 4096, batchSize: Int = 256) throws {
        self.model = model
        self.state = try model.network.makeState(contextLength: contextLength, batchCapacity: batchSize)
    }

    /// Tokens currently held in the KV cache.
    public var cachedTokens: [Int32] { lock.withLock { cached } }

    /// Empties the KV cache.
    public func reset() {
        lock.withLock {
            cached = []
            state.truncate(to: 0)
        }
    }

    /// Encodes raw text (no chat template) with the model's BOS convention, parsing special tokens.
    public func encode(_ text: String) -> [Int32] {
        model.tokenizer.encode(text, addBOS: model.tokenizer.addsBOSByDefault, parseSpecial: true)
    }

    /// Generates a continuation of `prompt`, calling `onText` with each whole-character piece.
    /// `onText` returns `false` to stop early (reported as ``StopReason/cancelled``).
    public func generate(prompt: [Int32], options: GenerationOptions = GenerationOptions(),
                         onText: (String) -> Bool = { _ in true }) throws -> GenerationResult {
        lock.lock()
        defer { lock.unlock() }
        guard !prompt.isEmpty else { throw ModelError.emptyInput }
        guard prompt.count < state.contextLength else {
            throw ModelError.contextOverflow(needed: prompt.count + 1, contextLength: state.contextLength)
        }
        let network = model.network

        // Reuse the cached prefix; the last prompt token is always evaluated, for its logits.
        var reuse = zip(cached, prompt).prefix { $0 == $1 }.count
        reuse = min(reuse, prompt.count - 1)
        state.truncate(to: reuse)
        cached = Array(prompt[..<reuse])

        let promptStart = DispatchTime.now()
        var logits = try network.forward(Array(prompt[reuse...]), state: state)
        cached = prompt
        let promptSeconds = Self.seconds(since: promptStart)

        var selector = TokenSelector(prompt: prompt, options: options, tokenizer: model.tokenizer)
        var text = ""
        var reason = StopReason.maxTokens
        var timeToFirstToken: Double?
        let generationStart = DispatchTime.now()

        func emit(_ piece: String) -> Bool {
            guard !piece.isEmpty else { return true }
            text += piece
            return onText(piece)
        }

        generation: while !selector.isExhausted {
            if Task.isCancelled { reason = .cancelled; _ = emit(selector.finish()); break }
            let step = try selector.accept(logits: logits)
            if timeToFirstToken == nil { timeToFirstToken = Self.seconds(since: promptStart) }
            switch step {
            case let .finished(end, piece):
                reason = end
                _ = emit(piece)
                break generation
            case let .next(token, piece):
                if !emit(piece) { reason = .cancelled; _ = emit(selector.finish()); break generation }
                if state.position >= state.contextLength { reason = .contextFull; _ = emit(selector.finish()); break generation }
                logits = try network.forward([token], state: state)
                cached.append(token)
            }
        }
        let stats = GenerationStats(promptTokens: prompt.count, evaluatedPromptTokens: prompt.count - reuse,
                                    generatedTokens: selector.generated.count, promptSeconds: promptSeconds,
                                    generationSeconds: Self.seconds(since: generationStart),
                                    timeToFirstToken: timeToFirstToken ?? Self.seconds(since: promptStart))
        return GenerationResult(text: text, tokens: selector.generated, stopReason: reason, stats: stats)
    }

    /// Streams a continuation of `prompt` as an `AsyncSequence` of text pieces followed by one
    /// ``GenerationEvent/finished(_:)``. Cancelling the consuming task stops generation.
    public func stream(prompt: [Int32], options: GenerationOptions = GenerationOptions()) -> AsyncThrowingStream<GenerationEvent, Error> {
        generationStream { onText in try self.generate(prompt: prompt, options: options, onText: onText) }
    }

    /// Logits for `tokens` evaluated after what the cache holds (used by tests and scoring).
    public func evaluate(_ tokens: [Int32]) throws -> [Float] {
        try lock.withLock {
            let logits = try model.network.forward(tokens, state: state)
            cached += tokens
            return logits
        }
    }

    private static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
