/// Which kind of end-of-turn token stopped generation.
///
/// Llama 3.1 ends a turn with `<|eot_id|>` when it has answered, but with `<|eom_id|>` ("end of
/// message") after a built-in tool call, meaning: run the tool and send its result in an `ipython`
/// message, and the model continues.
public enum TurnEnd: Sendable, Equatable {
    /// The model finished its answer (`<|eot_id|>`, `<|im_end|>`, …).
    case endOfTurn
    /// The model stopped to wait for a tool result (`<|eom_id|>`).
    case endOfMessage
    /// The end-of-sequence token, where it is not one of the above.
    case endOfText
}

extension StopReason {
    /// What kind of end-of-turn token stopped generation, or `nil` when something else did.
    public func turnEnd(in tokenizer: any Tokenizer) -> TurnEnd? {
        guard case let .endOfTurn(token) = self else { return nil }
        if token == tokenizer.tokenID(for: "<|eom_id|>") { return .endOfMessage }
        for name in ["<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>"] where token == tokenizer.tokenID(for: name) {
            return .endOfTurn
        }
        if token == tokenizer.eosToken { return .endOfText }
        return .endOfTurn
    }
}
