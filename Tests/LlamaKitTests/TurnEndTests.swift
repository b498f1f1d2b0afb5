import Testing
@testable import LlamaKit

/// Generation stops at `<|eom_id|>` as well as `<|eot_id|>`, and the stop reason tells which.
@Suite("End-of-turn tokens")
struct TurnEndTests {
    /// A tiny byte-level vocabulary with Llama 3's turn tokens as control tokens.
    static func llama3StyleTokenizer() throws -> ByteLevelBPETokenizer {
        let specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>"]
        let bytes = (0 ..< 256).map { ByteUnicodeMapping.spelling(of: [UInt8($0)]) }
        return try ByteLevelBPETokenizer(
            tokens: bytes + specials,
            kinds: Array(repeating: .normal, count: 256) + Array(repeating: .control, count: specials.count),
            merges: [], preTokenizer: .llama3, bosToken: 256, eosToken: 257)
    }

    @Test("both <|eot_id|> and <|eom_id|> end a turn, and are told apart")
    func eomAndEot() throws {
        let tokenizer = try Self.llama3StyleTokenizer()
        let eot = try #require(tokenizer.tokenID(for: "<|eot_id|>"))
        let eom = try #require(tokenizer.tokenID(for: "<|eom_id|>"))
        #expect(tokenizer.endOfTurnTokens.isSuperset(of: [eot, eom, 257]))
        #expect(!tokenizer.endOfTurnTokens.contains(try #require(tokenizer.tokenID(for: "<|python_tag|>"))))
        #expect(StopReason.endOfTurn(token: eom).turnEnd(in: tokenizer) == .endOfMessage)
        #expect(StopReason.endOfTurn(token: eot).turnEnd(in: tokenizer) == .endOfTurn)
        #expect(StopReason.endOfTurn(token: 257).turnEnd(in: tokenizer) == .endOfText)
        #expect(StopReason.maxTokens.turnEnd(in: tokenizer) == nil)
        // The python tag and the stop tokens are parsed as single control tokens in rendered prompts.
        #expect(tokenizer.encode("<|python_tag|>x<|eom_id|>", addBOS: false, parseSpecial: true).count == 3)
    }
}
