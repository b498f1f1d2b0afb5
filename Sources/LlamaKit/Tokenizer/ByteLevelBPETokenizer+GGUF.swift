extension ByteLevelBPETokenizer {
    /// Reads the tokenizer stored in a GGUF file's metadata.
    public static func load(from gguf: GGUFFile) throws(TokenizerError) -> ByteLevelBPETokenizer {
        try load(metadata: gguf.metadata)
    }

    /// Reads a tokenizer from GGUF metadata, with llama.cpp's key names.
    ///
    /// Required: `tokenizer.ggml.model` (must be `"gpt2"`), `tokenizer.ggml.pre`, `tokenizer.ggml.tokens`,
    /// `tokenizer.ggml.merges`. Optional: `tokenizer.ggml.token_type`, the `bos`, `eos`, `unknown`, `eot`
    /// and `eom` token ids, `tokenizer.ggml.add_bos_token` and `tokenizer.chat_template`.
    public static func load(metadata: [String: GGUFValue]) throws(TokenizerError) -> ByteLevelBPETokenizer {
        let reader = MetadataReader(metadata: metadata)
        let model = try reader.string(GGUFTokenizerKey.model)
        guard model == "gpt2" else { throw .unsupportedModel(model, supported: ["gpt2"]) }
        let preTokenizer = try PreTokenizer(ggufName: try reader.string(GGUFTokenizerKey.pre))
        let tokens = try reader.strings(GGUFTokenizerKey.tokens)
        guard !tokens.isEmpty else { throw .emptyVocabulary }
        let merges = try reader.strings(GGUFTokenizerKey.merges)

        var kinds: [TokenKind]?
        if let types = try reader.optionalInts(GGUFTokenizerKey.tokenType) {
            guard types.count == tokens.count else {
                throw .lengthMismatch(key: GGUFTokenizerKey.tokenType, expected: tokens.count, found: types.count)
            }
            var parsed: [TokenKind] = []
            parsed.reserveCapacity(types.count)
            for (index, type) in types.enumerated() {
                guard let kind = TokenKind(rawValue: type) else { throw .invalidTokenType(token: index, type: type) }
                parsed.append(kind)
            }
            kinds = parsed
        }

        func tokenID(_ key: String) throws(TokenizerError) -> Int32? {
            guard let id = try reader.optionalInt(key) else { return nil }
            guard id >= 0, id < tokens.count else {
                throw .specialTokenOutOfRange(key: key, id: id, vocabularySize: tokens.count)
            }
            return Int32(id)
        }

        return try ByteLevelBPETokenizer(
            tokens: tokens,
            kinds: kinds,
            merges: merges,
            preTokenizer: preTokenizer,
            bosToken: try tokenID(GGUFTokenizerKey.bos),
            eosToken: try tokenID(GGUFTokenizerKey.eos),
            unknownToken: try tokenID(GGUFTokenizerKey.unknown),
            addsBOSByDefault: try reader.optionalBool(GGUFTokenizerKey.addBOS),
            extraEndOfTurnTokens: [try tokenID(GGUFTokenizerKey.eot), try tokenID(GGUFTokenizerKey.eom)].compactMap { $0 },
            chatTemplateSource: metadata[GGUFTokenizerKey.chatTemplate]?.string
        )
    }
}

/// The GGUF metadata keys of a tokenizer, as llama.cpp writes them.
enum GGUFTokenizerKey {
    static let model = "tokenizer.ggml.model"
    static let pre = "tokenizer.ggml.pre"
    static let tokens = "tokenizer.ggml.tokens"
    static let tokenType = "tokenizer.ggml.token_type"
    static let merges = "tokenizer.ggml.merges"
    static let bos = "tokenizer.ggml.bos_token_id"
    static let eos = "tokenizer.ggml.eos_token_id"
    static let unknown = "tokenizer.ggml.unknown_token_id"
    static let eot = "tokenizer.ggml.eot_token_id"
    static let eom = "tokenizer.ggml.eom_token_id"
    static let addBOS = "tokenizer.ggml.add_bos_token"
    static let chatTemplate = "tokenizer.chat_template"
}

/// Typed access to tokenizer metadata that reports problems as ``TokenizerError``.
struct MetadataReader {
    let metadata: [String: GGUFValue]

    func string(_ key: String) throws(TokenizerError) -> String {
        guard let value = metadata[key] else { throw .missingKey(key) }
        guard let string = value.string else { throw .wrongKeyType(key: key, expected: "a string") }
        return string
    }

    func strings(_ key: String) throws(TokenizerError) -> [String] {
        guard let value = metadata[key] else { throw .missingKey(key) }
        guard let strings = value.strings else { throw .wrongKeyType(key: key, expected: "an array of strings") }
        return strings
    }

    func optionalInts(_ key: String) throws(TokenizerError) -> [Int]? {
        guard let value = metadata[key] else { return nil }
        guard let ints = value.ints else { throw .wrongKeyType(key: key, expected: "an array of integers") }
        return ints
    }

    func optionalInt(_ key: String) throws(TokenizerError) -> Int? {
        guard let value = metadata[key] else { return nil }
        guard let int = value.int else { throw .wrongKeyType(key: key, expected: "an integer") }
        return int
    }

    func optionalBool(_ key: String) throws(TokenizerError) -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard let bool = value.bool else { throw .wrongKeyType(key: key, expected: "a boolean") }
        return bool
    }
}
