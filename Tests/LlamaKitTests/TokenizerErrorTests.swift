import Testing
@testable import LlamaKit

/// Bad vocabularies, bad metadata and bad ids end in typed errors, never in a trap.
@Suite struct TokenizerErrorTests {
    /// The 256 byte tokens, then "ab" and "abc".
    static let byteTokens = (0 ..< 256).map { String(ByteUnicodeMapping.scalarForByte[$0]) }
    static let tokens = byteTokens + ["ab", "abc"]
    static let merges = ["a b", "ab c"]

    static func metadata(_ changes: [String: GGUFValue?] = [:]) -> [String: GGUFValue] {
        var metadata: [String: GGUFValue] = [
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.pre": .string("gpt2"),
            "tokenizer.ggml.tokens": .array(tokens.map { .string($0) }),
            "tokenizer.ggml.merges": .array(merges.map { .string($0) }),
            "tokenizer.ggml.token_type": .array(tokens.map { _ in .int32(1) }),
            "tokenizer.ggml.bos_token_id": .uint32(0),
        ]
        for (key, value) in changes { metadata[key] = value }
        return metadata
    }

    @Test func syntheticVocabularyWorks() throws {
        let tokenizer = try ByteLevelBPETokenizer.load(metadata: Self.metadata())
        let ids = tokenizer.encode("abc ab", addBOS: false, parseSpecial: false)
        #expect(ids == [257, 32, 256]) // "abc", "Ġ", "ab"
        #expect(try tokenizer.decode(ids) == "abc ab")
    }

    @Test func missingKeys() {
        for key in ["tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.merges"] {
            #expect(throws: TokenizerError.missingKey(key)) {
                try ByteLevelBPETokenizer.load(metadata: Self.metadata([key: nil]))
            }
        }
    }

    @Test func wrongTypes() {
        #expect(throws: TokenizerError.wrongKeyType(key: "tokenizer.ggml.tokens", expected: "an array of strings")) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.tokens": .array([.int32(1)])]))
        }
        #expect(throws: TokenizerError.wrongKeyType(key: "tokenizer.ggml.pre", expected: "a string")) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.pre": .uint32(3)]))
        }
        #expect(throws: TokenizerError.wrongKeyType(key: "tokenizer.ggml.add_bos_token", expected: "a boolean")) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.add_bos_token": .string("yes")]))
        }
    }

    @Test func unsupportedModelAndPreTokenizer() {
        #expect(throws: TokenizerError.unsupportedModel("llama", supported: ["gpt2"])) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.model": .string("llama")]))
        }
        #expect(throws: TokenizerError.unsupportedPreTokenizer("qwen2", supported: ["gpt2", "llama-bpe", "llama-v3", "llama3", "smollm"])) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.pre": .string("qwen2")]))
        }
        let message = TokenizerError.unsupportedPreTokenizer("qwen2", supported: PreTokenizer.supportedGGUFNames).description
        #expect(message.contains("smollm") && message.contains("qwen2"))
    }

    @Test func malformedMerges() {
        for (index, bad) in ["ab", "a  b", " a", "a ", "a b c", ""].enumerated() {
            #expect(throws: TokenizerError.malformedMerge(index: 2, text: bad), "case \(index)") {
                try ByteLevelBPETokenizer.load(metadata: Self.metadata([
                    "tokenizer.ggml.merges": .array((Self.merges + [bad]).map { .string($0) }),
                ]))
            }
        }
    }

    @Test func mergesNamingUnknownTokens() {
        #expect(throws: TokenizerError.mergeTokenNotInVocabulary(index: 0, token: "zz")) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.merges": .array([.string("zz a")])]))
        }
        #expect(throws: TokenizerError.mergeTokenNotInVocabulary(index: 0, token: "qq")) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.merges": .array([.string("a qq")])]))
        }
        // Both halves exist but their concatenation does not.
        #expect(throws: TokenizerError.mergeTokenNotInVocabulary(index: 0, token: "xy")) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.merges": .array([.string("x y")])]))
        }
    }

    @Test func inconsistentLengthsAndIds() {
        #expect(throws: TokenizerError.lengthMismatch(key: "tokenizer.ggml.token_type", expected: 258, found: 1)) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.token_type": .array([.int32(1)])]))
        }
        #expect(throws: TokenizerError.invalidTokenType(token: 0, type: 9)) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata([
                "tokenizer.ggml.token_type": .array([.int32(9)] + Self.tokens.dropFirst().map { _ in .int32(1) }),
            ]))
        }
        #expect(throws: TokenizerError.specialTokenOutOfRange(key: "tokenizer.ggml.eos_token_id", id: 258, vocabularySize: 258)) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.eos_token_id": .uint32(258)]))
        }
        #expect(throws: TokenizerError.specialTokenOutOfRange(key: "tokenizer.ggml.bos_token_id", id: -1, vocabularySize: 258)) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata(["tokenizer.ggml.bos_token_id": .int32(-1)]))
        }
        #expect(throws: TokenizerError.emptyVocabulary) {
            try ByteLevelBPETokenizer.load(metadata: Self.metadata([
                "tokenizer.ggml.tokens": .array([]), "tokenizer.ggml.merges": .array([]), "tokenizer.ggml.token_type": nil,
            ]))
        }
    }

    @Test func decodingOutOfRangeIds() throws {
        let tokenizer = try ByteLevelBPETokenizer.load(metadata: Self.metadata())
        for bad: Int32 in [-1, 258, .max, .min] {
            #expect(throws: TokenizerError.tokenOutOfRange(id: bad, vocabularySize: 258)) { try tokenizer.decode([97, bad]) }
            #expect(throws: TokenizerError.tokenOutOfRange(id: bad, vocabularySize: 258)) { try tokenizer.decodeBytes([bad]) }
            #expect(throws: TokenizerError.tokenOutOfRange(id: bad, vocabularySize: 258)) { try tokenizer.tokenBytes(bad) }
            #expect(throws: TokenizerError.tokenOutOfRange(id: bad, vocabularySize: 258)) { try tokenizer.tokenText(bad) }
        }
        #expect(TokenizerError.tokenOutOfRange(id: 300, vocabularySize: 258).description.contains("300"))
    }

    /// Llama 3 emits a word that is a whole vocabulary token even when the merges cannot build it.
    @Test func llama3IgnoresMergesForWholeTokens() throws {
        let tokens = Self.byteTokens + ["hello", "he"]
        let llama3 = try ByteLevelBPETokenizer(tokens: tokens, merges: ["h e"], preTokenizer: .llama3)
        let gpt2 = try ByteLevelBPETokenizer(tokens: tokens, merges: ["h e"], preTokenizer: .gpt2)
        #expect(llama3.encode("hello", addBOS: false, parseSpecial: false) == [256])
        #expect(gpt2.encode("hello", addBOS: false, parseSpecial: false) == [257, 108, 108, 111])
        #expect(llama3.addsBOSByDefault && !gpt2.addsBOSByDefault)
    }

    /// User-defined tokens are matched whole even when special tokens are not parsed; control tokens only
    /// when they are (llama.cpp's rule).
    @Test func userDefinedAndControlTokens() throws {
        let tokens = Self.byteTokens + ["<think>", "<|end|>"]
        let kinds = Array(repeating: TokenKind.normal, count: 256) + [.userDefined, .control]
        let tokenizer = try ByteLevelBPETokenizer(tokens: tokens, kinds: kinds, merges: [], preTokenizer: .gpt2, eosToken: 257)
        #expect(tokenizer.encode("<think>", addBOS: false, parseSpecial: false) == [256])
        #expect(tokenizer.encode("<|end|>", addBOS: false, parseSpecial: true) == [257])
        #expect(tokenizer.encode("<|end|>", addBOS: false, parseSpecial: false).count == 7)
        #expect(tokenizer.endOfTurnTokens == [257])
        #expect(try tokenizer.decode([256, 257]) == "<think><|end|>")
    }
}
