/// A byte-level BPE tokenizer (GGUF `tokenizer.ggml.model = "gpt2"`): GPT-2, SmolLM, Llama 3, Qwen and kin.
///
/// Encoding has four steps. Special-token texts are cut out first (see ``Tokenizer/encode(_:addBOS:parseSpecial:)``).
/// The ``PreTokenizer`` cuts the remaining text into words. Each word becomes its UTF-8 bytes, one symbol
/// per byte, and BPE merges join neighbouring symbols in merge-list order until no rule applies. The
/// symbols left are the tokens. Vocabulary entries spell bytes with ``ByteUnicodeMapping``, so decoding
/// maps each token's spelling back to bytes.
///
/// The tokenizer is an immutable value: share it freely between sessions and threads.
public struct ByteLevelBPETokenizer: Tokenizer {
    /// The number of tokens; valid ids are `0 ..< vocabularySize`.
    public let vocabularySize: Int
    /// The beginning-of-sequence token (`tokenizer.ggml.bos_token_id`).
    public let bosToken: Int32?
    /// The end-of-sequence token (`tokenizer.ggml.eos_token_id`).
    public let eosToken: Int32?
    /// Whether prompts start with ``bosToken``: `tokenizer.ggml.add_bos_token`, else the family default.
    public let addsBOSByDefault: Bool
    /// EOS, `eot`/`eom` ids, and the control tokens named in ``endOfTurnNames``.
    public let endOfTurnTokens: Set<Int32>
    /// The vocabulary's unknown token (`tokenizer.ggml.unknown_token_id`). Byte-level BPE never produces
    /// it: bytes without a token of their own are dropped, as in llama.cpp and Hugging Face.
    public let unknownToken: Int32?
    /// How text is cut into words before merging.
    public let preTokenizer: PreTokenizer

    private let tokens: [String]
    private let kinds: [TokenKind]
    private let idsByText: [String: Int32]
    private let rules: [UInt64: MergeRule]
    /// The token for each single byte, or -1.
    private let byteTokens: [Int32]
    /// Every token's decoded bytes, back to back; token `i` is `pieceBytes[pieceOffsets[i] ..< pieceOffsets[i + 1]]`.
    private let pieceBytes: [UInt8]
    private let pieceOffsets: [Int]
    /// Normal tokens by their bytes, for pre-tokenizers that emit a word that is a whole token unmerged.
    private let wholeWordTokens: [[UInt8]: Int32]
    private let specials: SpecialTokenMatcher

    /// Token names that end a turn in common chat formats; they count only where they are control tokens.
    public static let endOfTurnNames = ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|endoftext|>"]

    /// Builds a tokenizer from a vocabulary and merge list, validating both.
    ///
    /// - Parameters:
    ///   - tokens: The vocabulary, byte-level spelled; a token's id is its index.
    ///   - kinds: Each token's kind; `nil` means all ``TokenKind/normal``.
    ///   - merges: Merge rules, highest priority first, each two tokens separated by one space (`"Ġ t"`).
    ///   - addsBOSByDefault: `nil` uses the pre-tokenizer family's default (only Llama 3 adds BOS).
    ///   - extraEndOfTurnTokens: Further tokens that end a turn (GGUF `eot_token_id`, `eom_token_id`).
    public init(
        tokens: [String],
        kinds: [TokenKind]? = nil,
        merges: [String],
        preTokenizer: PreTokenizer,
        bosToken: Int32? = nil,
        eosToken: Int32? = nil,
        unknownToken: Int32? = nil,
        addsBOSByDefault: Bool? = nil,
        extraEndOfTurnTokens: [Int32] = []
    ) throws(TokenizerError) {
        guard !tokens.isEmpty else { throw .emptyVocabulary }
        // Ids and ranks are Int32, as in GGUF and llama.cpp.
        guard tokens.count <= Int(Int32.max) else { throw .tooLarge(what: "vocabulary", count: tokens.count) }
        guard merges.count <= Int(Int32.max) else { throw .tooLarge(what: "merge list", count: merges.count) }
        let kinds = kinds ?? Array(repeating: .normal, count: tokens.count)
        guard kinds.count == tokens.count else {
            throw .lengthMismatch(key: "token kinds", expected: tokens.count, found: kinds.count)
        }
        for (name, id) in [("BOS token", bosToken), ("EOS token", eosToken), ("unknown token", unknownToken)]
            + extraEndOfTurnTokens.map({ ("end-of-turn token", Optional($0)) }) {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw .specialTokenOutOfRange(key: name, id: Int(id), vocabularySize: tokens.count)
            }
        }

        self.vocabularySize = tokens.count
        self.tokens = tokens
        self.kinds = kinds
        self.preTokenizer = preTokenizer
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.unknownToken = unknownToken
        self.addsBOSByDefault = addsBOSByDefault ?? preTokenizer.addsBOSByDefault

        // Later duplicates win, as in both llama.cpp and Hugging Face.
        var idsByText: [String: Int32] = [:]
        idsByText.reserveCapacity(tokens.count)
        for (index, text) in tokens.enumerated() { idsByText[text] = Int32(index) }
        self.idsByText = idsByText

        self.rules = try Self.parseMerges(merges, idsByText: idsByText)

        self.byteTokens = (0 ..< 256).map { byte in
            idsByText[String(ByteUnicodeMapping.scalarForByte[byte])] ?? -1
        }

        var pieceBytes: [UInt8] = []
        var pieceOffsets: [Int] = [0]
        pieceOffsets.reserveCapacity(tokens.count + 1)
        var wholeWordTokens: [[UInt8]: Int32] = [:]
        for (index, (text, kind)) in zip(tokens, kinds).enumerated() {
            let bytes = Self.bytes(of: text, kind: kind)
            pieceBytes.append(contentsOf: bytes)
            pieceOffsets.append(pieceBytes.count)
            if preTokenizer.ignoresMerges, !kind.isLiteralText { wholeWordTokens[bytes] = Int32(index) }
        }
        self.pieceBytes = pieceBytes
        self.pieceOffsets = pieceOffsets
        self.wholeWordTokens = wholeWordTokens

        self.specials = SpecialTokenMatcher(tokens: tokens, kinds: kinds)

        var endOfTurn = Set(extraEndOfTurnTokens)
        if let eosToken { endOfTurn.insert(eosToken) }
        for name in Self.endOfTurnNames {
            if let id = idsByText[name], kinds[Int(id)] == .control { endOfTurn.insert(id) }
        }
        self.endOfTurnTokens = endOfTurn
    }

    // MARK: Encoding

    /// Encodes `text`: special tokens cut out, then pre-tokenized words merged one by one.
    /// See ``Tokenizer/encode(_:addBOS:parseSpecial:)``.
    public func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        let classified = ClassifiedText(text.unicodeScalars)
        var merger = BPEMerger()
        var words: [Range<Int>] = []
        var wordBytes: [UInt8] = []
        var symbols: [Int32] = []
        for segment in specials.segments(classified.values, parseSpecial: parseSpecial) {
            switch segment {
            case let .token(id):
                out.append(id)
            case let .text(range):
                words.removeAll(keepingCapacity: true)
                preTokenizer.split(classified, range, into: &words)
                for word in words {
                    encodeWord(classified.values[word], merger: &merger, bytes: &wordBytes, symbols: &symbols, into: &out)
                }
            }
        }
        if addBOS, let bosToken, out.first != bosToken { out.insert(bosToken, at: 0) }
        return out
    }

    private func encodeWord(
        _ scalars: ArraySlice<UInt32>, merger: inout BPEMerger,
        bytes: inout [UInt8], symbols: inout [Int32], into out: inout [Int32]
    ) {
        bytes.removeAll(keepingCapacity: true)
        for value in scalars { Self.appendUTF8(value, to: &bytes) }
        if preTokenizer.ignoresMerges, let id = wholeWordTokens[bytes] {
            out.append(id)
            return
        }
        symbols.removeAll(keepingCapacity: true)
        for byte in bytes {
            let id = byteTokens[Int(byte)]
            // A byte the vocabulary has no token for cannot be said at all and is dropped, as llama.cpp and
            // Hugging Face both do (SmolLM2 lacks 0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xF1, 0xF2 and others).
            if id >= 0 { symbols.append(id) }
        }
        merger.merge(symbols, rules: rules, into: &out)
    }

    /// Appends the UTF-8 encoding of a scalar value (always a valid scalar: it came from a `String`).
    @inline(__always)
    private static func appendUTF8(_ v: UInt32, to bytes: inout [UInt8]) {
        switch v {
        case ..<0x80:
            bytes.append(UInt8(v))
        case ..<0x800:
            bytes.append(UInt8(0xC0 | v >> 6))
            bytes.append(UInt8(0x80 | v & 0x3F))
        case ..<0x1_0000:
            bytes.append(UInt8(0xE0 | v >> 12))
            bytes.append(UInt8(0x80 | v >> 6 & 0x3F))
            bytes.append(UInt8(0x80 | v & 0x3F))
        default:
            bytes.append(UInt8(0xF0 | v >> 18 & 0x07))
            bytes.append(UInt8(0x80 | v >> 12 & 0x3F))
            bytes.append(UInt8(0x80 | v >> 6 & 0x3F))
            bytes.append(UInt8(0x80 | v & 0x3F))
        }
    }

    // MARK: Decoding

    /// The bytes `ids` stand for: normal tokens' spellings mapped back to bytes, control and user-defined
    /// tokens' text as is. Throws ``TokenizerError/tokenOutOfRange(id:vocabularySize:)`` for a bad id.
    public func decodeBytes(_ ids: [Int32]) throws(TokenizerError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids {
            let index = try checked(id)
            out.append(contentsOf: pieceBytes[pieceOffsets[index] ..< pieceOffsets[index + 1]])
        }
        return out
    }

    /// The bytes one token stands for.
    public func tokenBytes(_ id: Int32) throws(TokenizerError) -> [UInt8] {
        let index = try checked(id)
        return Array(pieceBytes[pieceOffsets[index] ..< pieceOffsets[index + 1]])
    }

    /// The id of the token spelled exactly `text` in the vocabulary (`"<|im_end|>"`, or `"Ġthe"` for " the").
    public func tokenID(for text: String) -> Int32? { idsByText[text] }

    /// The token's text exactly as the vocabulary spells it (`"Ġthe"`, `"<|im_end|>"`).
    public func tokenText(_ id: Int32) throws(TokenizerError) -> String { tokens[try checked(id)] }

    /// The token's kind, or `nil` if `id` is outside the vocabulary.
    public func kind(of id: Int32) -> TokenKind? {
        id >= 0 && Int(id) < kinds.count ? kinds[Int(id)] : nil
    }

    private func checked(_ id: Int32) throws(TokenizerError) -> Int {
        guard id >= 0, Int(id) < vocabularySize else { throw .tokenOutOfRange(id: id, vocabularySize: vocabularySize) }
        return Int(id)
    }

    // MARK: Building

    /// Parses merge rules into a table keyed by token-id pair. The first rule for a pair wins, as in llama.cpp.
    private static func parseMerges(_ merges: [String], idsByText: [String: Int32]) throws(TokenizerError) -> [UInt64: MergeRule] {
        var rules: [UInt64: MergeRule] = [:]
        rules.reserveCapacity(merges.count)
        for (index, merge) in merges.enumerated() {
            // Split on the byte, not on Characters: a space followed by a combining mark is one Character.
            let parts = merge.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                  let left = String(parts[0]), let right = String(parts[1]) else {
                throw .malformedMerge(index: index, text: merge)
            }
            let joined = left + right
            guard let leftID = idsByText[left] else { throw .mergeTokenNotInVocabulary(index: index, token: left) }
            guard let rightID = idsByText[right] else { throw .mergeTokenNotInVocabulary(index: index, token: right) }
            guard let resultID = idsByText[joined] else { throw .mergeTokenNotInVocabulary(index: index, token: joined) }
            let key = MergeRule.key(leftID, rightID)
            if rules[key] == nil { rules[key] = MergeRule(rank: Int32(index), result: resultID) }
        }
        return rules
    }

    /// The bytes a token stands for when decoded.
    private static func bytes(of text: String, kind: TokenKind) -> [UInt8] {
        if kind.isLiteralText { return Array(text.utf8) }
        if kind == .byte, let byte = rawByte(text) { return [byte] }
        return ByteUnicodeMapping.bytes(spelledBy: text)
    }

    /// The byte of a `<0xAB>` token.
    private static func rawByte(_ text: String) -> UInt8? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6, utf8.starts(with: Array("<0x".utf8)), utf8[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: utf8[3 ..< 5], as: UTF8.self), radix: 16)
    }
}
