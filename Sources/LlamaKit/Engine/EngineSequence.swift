import Dispatch

/// One request inside the engine: what it has generated, how much of it the KV cache holds, and where.
///
/// Prefill and decode are the same thing here: ``tokens`` is everything known (prompt, then generated tokens),
/// ``computed`` how many of them have keys and values in the cache; a step evaluates some of the rest, and when
/// it reaches the last token its logits choose the next one. Owned by the engine's thread.
final class EngineSequence {
    let id: UInt64
    let continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation
    var selector: TokenSelector
    /// Tokens with keys and values in the cache (positions `0 ..< computed`).
    var computed = 0
    /// The sequence's cache blocks, in position order.
    var blocks: [Int32] = []
    /// Cache row of every position the blocks cover.
    var slots: [Int32] = []
    /// Content ids of the leading blocks that are registered for prefix sharing (see ``KVBlockManager``).
    var contentIDs: [UInt64] = []
    /// Prompt tokens found in the prefix cache when the sequence was first admitted.
    var cachedPromptTokens: Int?
    let submitted = DispatchTime.now()
    var admitted: DispatchTime?
    var firstToken: DispatchTime?

    init(id: UInt64, prompt: [Int32], options: GenerationOptions, tokenizer: any Tokenizer,
         continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation) {
        self.id = id
        self.continuation = continuation
        selector = TokenSelector(prompt: prompt, options: options, tokenizer: tokenizer)
    }

    var tokens: [Int32] { selector.history }
    /// Tokens still to evaluate before the next logits.
    var pending: Int { selector.history.count - computed }

    /// Forgets the cache blocks (after they were released): the sequence will be evaluated again from the start.
    func resetCache() {
        computed = 0
        blocks = []
        slots = []
        contentIDs = []
    }
}
