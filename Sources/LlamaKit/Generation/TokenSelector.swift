/// One sequence's generation state apart from its KV cache: sampling, streaming detokenisation, stop tokens,
/// stop strings and the token budget.
///
/// Each call to ``accept(logits:)`` samples the next token and says what it means: text to emit and a token
/// the model must evaluate next, or the end of the generation. ``Session`` drives one of these alone; the
/// engine drives one per request, whatever batch the logits came from.
struct TokenSelector: Sendable {
    enum Step: Sendable, Equatable {
        /// `token` continues the sequence (evaluate it next); `text` is what it completes (may be empty).
        case next(token: Int32, text: String)
        /// Generation ended; `text` is what was still held back (the rest of a character, or text that turned
        /// out not to start a stop string).
        case finished(StopReason, text: String)
    }

    /// Prompt and generated tokens (the penalties look at all of them).
    private(set) var history: [Int32]
    private(set) var generated: [Int32] = []
    /// Every piece of text emitted so far.
    private(set) var text = ""
    let promptCount: Int
    private let maxTokens: Int
    private let stopTokens: Set<Int32>
    private var sampler: Sampler
    private var detokenizer: StreamingDetokenizer
    private var filter: StopStringFilter

    init(prompt: [Int32], options: GenerationOptions, tokenizer: any Tokenizer) {
        history = prompt
        promptCount = prompt.count
        maxTokens = options.maxTokens
        stopTokens = tokenizer.endOfTurnTokens.union(options.extraStopTokens)
        sampler = Sampler(options.sampling)
        detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        filter = StopStringFilter(options.stopStrings)
    }

    /// Whether the budget allows no token at all (`maxTokens <= 0`).
    var isExhausted: Bool { generated.count >= maxTokens }

    /// Samples from the logits of the sequence's last token and advances.
    mutating func accept(logits: [Float]) throws -> Step {
        let token = sampler.sample(logits: logits, history: history)
        if stopTokens.contains(token) { return .finished(.endOfTurn(token: token), text: drain()) }
        generated.append(token)
        history.append(token)
        let piece = filter.push(try detokenizer.append(token))
        if let stop = filter.matched { return .finished(.stopString(stop), text: record(piece)) }
        if generated.count >= maxTokens { return .finished(.maxTokens, text: record(piece) + drain()) }
        return .next(token: token, text: record(piece))
    }

    /// Ends the generation for a reason outside the tokens (context full, cancelled); returns held-back text.
    mutating func finish() -> String {
        filter.matched == nil ? drain() : ""
    }

    /// Whatever the detokenizer and the stop-string filter still hold.
    private mutating func drain() -> String {
        record(filter.push(detokenizer.flush())) + record(filter.flush())
    }

    private mutating func record(_ piece: String) -> String {
        text += piece
        return piece
    }
}
