/// A byte-level BPE tokenizer: GPT-2, SmolLM, Llama 3, Qwen and kin, loaded from a GGUF file, Meta's
/// tiktoken `tokenizer.model`, or a Hugging Face `tokenizer.json`.
///
/// The three formats describe the same algorithm, so one type serves them all and there is one hot path to
/// make fast. Encoding has four steps. Special-token texts are cut out first (see
/// ``Tokenizer/encode(_:addBOS:parseSpecial:)``). The ``PreTokenizerPipeline`` cuts the remaining text
/// into words. A word that is itself a token is emitted whole when the vocabulary says so (tiktoken always
/// does; Hugging Face with `ignore_merges`; GGUF for Llama 3). Otherwise the word becomes its UTF-8 bytes,
/// one symbol per byte, and merges join neighbouring symbols, lowest rank first, until none applies: rank
/// comes from the merge list (GGUF, `tokenizer.json`) or from the token the pair would make (tiktoken).
/// The symbols left are the tokens.
///
/// Tokens are stored as the bytes they stand for. Vocabulary files spell bytes with
/// ``ByteUnicodeMapping`` (`Ġ` for a space); ``tokenText(_:)`` and ``tokenID(for:)`` speak that spelling.
///
/// The tokenizer is an immutable value: share it freely between sessions and threads.
public struct ByteLevelBPETokenizer: Tokenizer {
    /// The number of tokens; valid ids are `0 ..< vocabularySize`.
    public let vocabularySize: Int
    /// The beginning-of-sequence token.
    public let bosToken: Int32?
    /// The end-of-sequence token.
    public let eosToken: Int32?
    /// Whether prompts start with ``bosToken``.
    public let addsBOSByDefault: Bool
    /// EOS, `eot`/`eom` ids, and the control tokens named in ``endOfTurnNames``.
    public let endOfTurnTokens: Set<Int32>
    /// The vocabulary's unknown token. Byte-level BPE never produces it: bytes without a token of their own
    /// are dropped, as in llama.cpp and Hugging Face.
    public let unknownToken: Int32?
    /// How text is cut into words before merging.
    public let pipeline: PreTokenizerPipeline
    /// Whether a word that is itself a token is emitted without merging (tiktoken; Hugging Face `ignore_merges`).
    public let ignoresMerges: Bool
    /// The chat template the file carries (GGUF `tokenizer.chat_template`, `tokenizer_config.json`
    /// `chat_template`), as Jinja source.
    public let chatTemplateSource: String?

    /// The hand-written pre-tokenizer, when the pipeline is just one.
    public var preTokenizer: PreTokenizer? { pipeline.singleScanner }

    let mergeMode: MergeMode
    private let tables: TokenTables
    private let kinds: [TokenKind]
    /// Tokens whose text is not byte-level spelling (control, user-defined, byte and unused tokens), by text.
    private let literalIDs: [String: Int32]
    private let specials: SpecialTokenMatcher

    /// Token names that end a turn in common chat formats; they count only where they are control tokens.
    public static let endOfTurnNames = ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|endoftext|>"]

    /// Builds a tokenizer from a byte-level spelled vocabulary and merge list (the GGUF layout), validating both.
    ///
    /// - Parameters:
    ///   - tokens: The vocabulary, byte-level spelled; a token's id is its index.
    ///   - kinds: Each token's kind; `nil` means all ``TokenKind/normal``.
    ///   - merges: Merge rules, highest priority first, each two tokens separated by one space (`"Ġ t"`).
    ///   - addsBOSByDefault: `nil` uses the pre-tokenizer family's default (only Llama 3 adds BOS).
    ///   - extraEndOfTurnTokens: Further tokens that end a turn (GGUF `eot_token_id`, `eom_token_id`).
    ///   - ignoresMerges: `nil` uses the pre-tokenizer family's default (only Llama 3 ignores merges).
    public init(
        tokens: [String],
        kinds: [TokenKind]? = nil,
        merges: [String],
        preTokenizer: PreTokenizer,
        bosToken: Int32? = nil,
        eosToken: Int32? = nil,
        unknownToken: Int32? = nil,
        addsBOSByDefault: Bool? = nil,
        extraEndOfTurnTokens: [Int32] = [],
        ignoresMerges: Bool? = nil,
        chatTemplateSource: String? = nil
    ) throws(TokenizerError) {
        guard !tokens.isEmpty else { throw .emptyVocabulary }
        guard tokens.count <= Int(Int32.max) else { throw .tooLarge(what: "vocabulary", count: tokens.count) }
        guard merges.count <= Int(Int32.max) else { throw .tooLarge(what: "merge list", count: merges.count) }
        let kinds = kinds ?? Array(repeating: .normal, count: tokens.count)
        guard kinds.count == tokens.count else {
            throw .lengthMismatch(key: "token kinds", expected: tokens.count, found: kinds.count)
        }
        var vocabulary = Vocabulary()
        vocabulary.reserve(tokens.count)
        for (text, kind) in zip(tokens, kinds) { vocabulary.append(spelled: text, kind: kind) }
        try self.init(
            vocabulary: vocabulary, mergeCount: merges.count, mergeMode: .pairRules, firstPairWins: true,
            merges: { resolver throws(TokenizerError) in
                try resolver.add(lines: merges)
            },
            pipeline: PreTokenizerPipeline(preTokenizer),
            ignoresMerges: ignoresMerges ?? preTokenizer.ignoresMerges,
            bosToken: bosToken, eosToken: eosToken, unknownToken: unknownToken,
            addsBOSByDefault: addsBOSByDefault ?? preTokenizer.addsBOSByDefault,
            extraEndOfTurnTokens: extraEndOfTurnTokens, chatTemplateSource: chatTemplateSource
        )
    }

    /// The designated initialiser every loader ends in.
    ///
    /// `merges` adds the merge rules, in rank order, through the resolver it is given (none for tiktoken).
    init(
        vocabulary: Vocabulary,
        mergeCount: Int,
        mergeMode: MergeMode,
        firstPairWins: Bool,
        merges: (inout MergeResolver) throws(TokenizerError) -> Void,
        pipeline: PreTokenizerPipeline,
        ignoresMerges: Bool,
        bosToken: Int32?,
        eosToken: Int32?,
        unknownToken: Int32?,
        addsBOSByDefault: Bool,
        extraEndOfTurnTokens: [Int32],
        chatTemplateSource: String?
    ) throws(TokenizerError) {
        let count = vocabulary.kinds.count
        guard count > 0 else { throw .emptyVocabulary }
        guard count <= Int(Int32.max) else { throw .tooLarge(what: "vocabulary", count: count) }
        for (name, id) in [("BOS token", bosToken), ("EOS token", eosToken), ("unknown token", unknownToken)]
            + extraEndOfTurnTokens.map({ ("end-of-turn token", Optional($0)) }) {
            if let id, id < 0 || Int(id) >= count {
                throw .specialTokenOutOfRange(key: name, id: Int(id), vocabularySize: count)
            }
        }
        self.vocabularySize = count
        self.kinds = vocabulary.kinds
        self.pipeline = pipeline
        self.mergeMode = mergeMode
        self.ignoresMerges = ignoresMerges
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.unknownToken = unknownToken
        self.addsBOSByDefault = addsBOSByDefault
        self.chatTemplateSource = chatTemplateSource
        let kinds = vocabulary.kinds
        let tables = TokenTables(
            bytes: vocabulary.bytes, offsets: vocabulary.offsets,
            wordLookup: { !kinds[$0].isLiteralText && kinds[$0] != .byte }, pairCapacity: mergeCount
        )
        var resolver = MergeResolver(tables: tables, firstPairWins: firstPairWins)
        try merges(&resolver)
        self.tables = tables
        var literalIDs: [String: Int32] = [:]
        for (id, text) in vocabulary.literalTexts { literalIDs[text] = id } // later duplicates win
        self.literalIDs = literalIDs

        var specialTokens: [(bytes: [UInt8], id: Int32, kind: TokenKind)] = []
        for (id, kind) in kinds.enumerated() where kind == .control || kind == .userDefined || kind == .unknown {
            specialTokens.append((Array(self.tables.bytes(of: id)), Int32(id), kind))
        }
        self.specials = SpecialTokenMatcher(tokens: specialTokens)

        var endOfTurn = Set(extraEndOfTurnTokens)
        if let eosToken { endOfTurn.insert(eosToken) }
        for name in Self.endOfTurnNames {
            if let id = literalIDs[name], kinds[Int(id)] == .control { endOfTurn.insert(id) }
        }
        self.endOfTurnTokens = endOfTurn
    }

    // MARK: Encoding

    /// Encodes `text`: special tokens cut out, then pre-tokenized words merged one by one.
    /// See ``Tokenizer/encode(_:addBOS:parseSpecial:)``.
    public func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        if addBOS, let bosToken { out.append(bosToken) }
        var text = text
        text.withUTF8 { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
            out.reserveCapacity(out.count + buffer.count / 3 + 4)
            var state = EncodeState()
            if specials.matchesAnything(parseSpecial: parseSpecial) {
                for segment in specials.segments(base, count: buffer.count, parseSpecial: parseSpecial) {
                    switch segment {
                    case let .token(id):
                        out.append(id)
                    case let .text(range):
                        encodeText(base, range, state: &state, into: &out)
                    }
                }
            } else {
                encodeText(base, 0 ..< buffer.count, state: &state, into: &out)
            }
        }
        // A prompt whose text starts with the BOS token's own text gets it once.
        if addBOS, let bosToken, out.count > 1, out[1] == bosToken { out.removeFirst() }
        return out
    }

    /// The scratch buffers of one `encode` call.
    private struct EncodeState {
        var merger = BPEMerger()
        var cache = WordCache()
    }

    /// Encodes ordinary text (no special tokens) `bytes[range]`.
    private func encodeText(_ bytes: UnsafePointer<UInt8>, _ range: Range<Int>, state: inout EncodeState, into out: inout [Int32]) {
        if pipeline.addsPrefixSpace, bytes[range.lowerBound] != UInt8(ascii: " ") {
            var prefixed: [UInt8] = [UInt8(ascii: " ")]
            prefixed.append(contentsOf: UnsafeBufferPointer(start: bytes + range.lowerBound, count: range.count))
            prefixed.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { encodeWords(base, 0 ..< buffer.count, state: &state, into: &out) }
            }
            return
        }
        encodeWords(bytes, range, state: &state, into: &out)
    }

    private func encodeWords(_ bytes: UnsafePointer<UInt8>, _ range: Range<Int>, state: inout EncodeState, into out: inout [Int32]) {
        let scanner = UTF8Scanner(bytes: bytes, table: .shared)
        if let single = pipeline.singleScanner {
            single.forEachWord(scanner, range) { start, end in
                encodeWord(bytes + start, end - start, state: &state, into: &out)
            }
        } else {
            pipeline.forEachWord(scanner, range) { start, end in
                encodeWord(bytes + start, end - start, state: &state, into: &out)
            }
        }
    }

    /// Encodes one word: a whole-token lookup, a single byte, a cached word, or merges.
    @inline(__always)
    private func encodeWord(_ word: UnsafePointer<UInt8>, _ count: Int, state: inout EncodeState, into out: inout [Int32]) {
        if count == 1 {
            // One byte: its own token (merges need two symbols), or nothing if the vocabulary lacks it.
            let id = tables.byteTokens[Int(word[0])]
            if id >= 0 { out.append(id) }
            return
        }
        let hash = hashBytes(word, count)
        if ignoresMerges, let id = tables.lookup(word, count, hash: hash) {
            out.append(id)
            return
        }
        guard count <= WordCache.maxWordLength else {
            state.merger.merge(word, count, tables: tables, mode: mergeMode, into: &out)
            return
        }
        if state.cache.appendCached(word, count, hash: hash, to: &out) { return }
        let before = out.count
        state.merger.merge(word, count, tables: tables, mode: mergeMode, into: &out)
        state.cache.insert(word, count, hash: hash, ids: out[before...])
    }

    // MARK: Decoding

    /// The bytes `ids` stand for: normal tokens' bytes, control and user-defined tokens' text as is.
    /// Throws ``TokenizerError/tokenOutOfRange(id:vocabularySize:)`` for a bad id.
    public func decodeBytes(_ ids: [Int32]) throws(TokenizerError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids {
            out.append(contentsOf: tables.bytes(of: try checked(id)))
        }
        return out
    }

    /// The bytes one token stands for.
    public func tokenBytes(_ id: Int32) throws(TokenizerError) -> [UInt8] {
        Array(tables.bytes(of: try checked(id)))
    }

    /// The id of the token spelled exactly `text`: a control or user-defined token's text (`"<|eot_id|>"`),
    /// or an ordinary token's byte-level spelling (`"Ġthe"` for " the").
    public func tokenID(for text: String) -> Int32? {
        if let id = literalIDs[text] { return id }
        var bytes: [UInt8] = []
        guard ByteUnicodeMapping.appendBytes(spelledBy: text, to: &bytes), !bytes.isEmpty else { return nil }
        return bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.flatMap { tables.lookup($0, buffer.count, hash: hashBytes($0, buffer.count)) }
        }
    }

    /// The token's text as the vocabulary spells it (`"Ġthe"`, `"<|eot_id|>"`).
    public func tokenText(_ id: Int32) throws(TokenizerError) -> String {
        let index = try checked(id)
        let bytes = tables.bytes(of: index)
        if kinds[index].isLiteralText || kinds[index] == .byte {
            if let text = literalText(index) { return text }
            return String(decoding: bytes, as: UTF8.self)
        }
        return ByteUnicodeMapping.spelling(of: bytes)
    }

    /// The token's kind, or `nil` if `id` is outside the vocabulary.
    public func kind(of id: Int32) -> TokenKind? {
        id >= 0 && Int(id) < kinds.count ? kinds[Int(id)] : nil
    }

    private func literalText(_ index: Int) -> String? {
        // Byte tokens ("<0x0A>") keep their spelling only in `literalIDs`; search there (rare, small).
        guard kinds[index] == .byte else { return nil }
        return literalIDs.first { $0.value == Int32(index) }?.key
    }

    private func checked(_ id: Int32) throws(TokenizerError) -> Int {
        guard id >= 0, Int(id) < vocabularySize else { throw .tokenOutOfRange(id: id, vocabularySize: vocabularySize) }
        return Int(id)
    }
}

/// A vocabulary as the loaders collect it: every token's bytes back to back, its kind, and the text of
/// tokens whose text is not byte-level spelling.
struct Vocabulary {
    var bytes: [UInt8] = []
    var offsets: [Int] = [0]
    var kinds: [TokenKind] = []
    var literalTexts: [(Int32, String)] = []

    mutating func reserve(_ count: Int) {
        offsets.reserveCapacity(count + 1)
        kinds.reserveCapacity(count)
        bytes.reserveCapacity(count * 8)
    }

    /// Appends a token given in byte-level spelling (or as literal text, for literal kinds).
    mutating func append(spelled text: String, kind: TokenKind) {
        let id = Int32(kinds.count)
        if kind.isLiteralText {
            bytes.append(contentsOf: text.utf8)
            literalTexts.append((id, text))
        } else if kind == .byte, let byte = Self.rawByte(text) {
            bytes.append(byte)
            literalTexts.append((id, text))
        } else {
            ByteUnicodeMapping.appendBytes(spelledBy: text, to: &bytes)
        }
        offsets.append(bytes.count)
        kinds.append(kind)
    }

    /// Appends a token given as its bytes.
    mutating func append(bytes tokenBytes: some Sequence<UInt8>, kind: TokenKind, literalText: String? = nil) {
        if let literalText { literalTexts.append((Int32(kinds.count), literalText)) }
        bytes.append(contentsOf: tokenBytes)
        offsets.append(bytes.count)
        kinds.append(kind)
    }

    /// The byte of a `<0xAB>` token.
    static func rawByte(_ text: String) -> UInt8? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6, utf8.starts(with: Array("<0x".utf8)), utf8[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: utf8[3 ..< 5], as: UTF8.self), radix: 16)
    }
}

/// Merge rules written `"left right"`, as UTF-8 back to back.
struct MergeLines {
    var utf8: [UInt8] = []
    var ends: [Int] = []

    var count: Int { ends.count }

    mutating func append(_ line: String) {
        utf8.append(contentsOf: line.utf8)
        ends.append(utf8.count)
    }

    /// Ends the line whose bytes were appended to `utf8` since the previous one.
    mutating func endLine() { ends.append(utf8.count) }

    func range(_ k: Int) -> Range<Int> { (k == 0 ? 0 : ends[k - 1]) ..< ends[k] }

    func string(_ k: Int) -> String { String(decoding: utf8[range(k)], as: UTF8.self) }
}

/// Adds merge rules to the tables a tokenizer is being built with, resolving spelled token pairs to ids.
struct MergeResolver {
    let tables: TokenTables
    let firstPairWins: Bool
    private var rank: Int32 = 0
    private var scratch: [UInt8] = []

    init(tables: TokenTables, firstPairWins: Bool) {
        self.tables = tables
        self.firstPairWins = firstPairWins
    }

    /// Adds the rules written `"left right"` (one space; both sides byte-level spelled), in order, for
    /// merge rules `firstIndex...`: the fast path for merge lists.
    ///
    /// Each line's spelling is decoded straight from UTF-8, and lines go in batches: the hash-table slots
    /// of a whole batch are read before any lookup, so that their cache misses overlap instead of coming
    /// one after another (the tables of a 128k vocabulary are far bigger than the CPU caches). Anything
    /// unusual (no single space, scalars outside the byte alphabet, unknown tokens) goes through
    /// ``add(_:_:index:)``, which reports it.
    mutating func add(lines: [String], firstIndex: Int = 0) throws(TokenizerError) {
        var text = MergeLines()
        for line in lines { text.append(line) }
        try add(lines: text, firstIndex: firstIndex)
    }

    /// ``add(lines:firstIndex:)`` for lines already laid out as UTF-8 (as the `tokenizer.json` reader makes them).
    mutating func add(lines: MergeLines, firstIndex: Int = 0) throws(TokenizerError) {
        let batchSize = 64
        var spans: [(start: Int, split: Int, end: Int)] = []
        var hashes: [UInt64] = []
        var found: [(Int32, Int32, Int32)?] = []
        var batchStart = 0
        while batchStart < lines.count {
            let batchEnd = min(batchStart + batchSize, lines.count)
            scratch.removeAll(keepingCapacity: true)
            spans.removeAll(keepingCapacity: true)
            for k in batchStart ..< batchEnd {
                let start = scratch.count
                if let split = Self.decode(lines.utf8, lines.range(k), into: &scratch) {
                    spans.append((start, start + split, scratch.count))
                } else {
                    scratch.removeSubrange(start...)
                    spans.append((-1, -1, -1))
                }
            }
            let tables = self.tables
            var sink: UInt64 = 0
            scratch.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                hashes.removeAll(keepingCapacity: true)
                for span in spans where span.start >= 0 {
                    hashes.append(hashBytes(base + span.start, span.split - span.start))
                    hashes.append(hashBytes(base + span.split, span.end - span.split))
                    hashes.append(hashBytes(base + span.start, span.end - span.start))
                }
                // A tight loop of independent reads: the misses overlap.
                for hash in hashes { sink &+= tables.touch(hash: hash) }
                found.removeAll(keepingCapacity: true)
                var h = 0
                for span in spans {
                    guard span.start >= 0 else { found.append(nil); continue }
                    defer { h += 3 }
                    guard let l = tables.lookup(base + span.start, span.split - span.start, hash: hashes[h]),
                          let r = tables.lookup(base + span.split, span.end - span.split, hash: hashes[h + 1]),
                          let j = tables.lookup(base + span.start, span.end - span.start, hash: hashes[h + 2]) else {
                        found.append(nil)
                        continue
                    }
                    found.append((l, r, j))
                }
                for ids in found {
                    if let (l, r, _) = ids { sink &+= tables.touchPair(MergeRule.key(l, r)) }
                }
            }
            self.sink &+= sink
            for (offset, ids) in found.enumerated() {
                if let (l, r, joined) = ids {
                    tables.insertPair(MergeRule.key(l, r), rank: rank, result: joined, replace: !firstPairWins)
                    rank += 1
                } else {
                    try addSlowly(line: lines.string(batchStart + offset), index: firstIndex + batchStart + offset)
                }
            }
            batchStart = batchEnd
        }
    }

    /// Adds one rule written `"left right"`; see ``add(lines:firstIndex:)``.
    mutating func add(line: String, index: Int) throws(TokenizerError) {
        try add(lines: [line], firstIndex: index)
    }

    /// Keeps the batch reads of ``add(lines:firstIndex:)`` from being optimised away.
    private(set) var sink: UInt64 = 0

    /// Appends the bytes the UTF-8 line `utf8[range]` spells to `out` and returns where the right-hand
    /// token starts, or `nil` (leaving `out` partly written) if the line is not two byte-alphabet spellings
    /// around one space.
    private static func decode(_ utf8: [UInt8], _ range: Range<Int>, into out: inout [UInt8]) -> Int? {
        let byteForScalar = ByteUnicodeMapping.byteForScalar // once, not a lazy-global check per scalar
        let start = out.count
        var split = -1
        var i = range.lowerBound
        while i < range.upperBound {
            let b0 = utf8[i]
            let value: Int
            if b0 < 0x80 {
                if b0 == 0x20 {
                    guard split < 0 else { return nil }
                    split = out.count - start
                    i += 1
                    continue
                }
                value = Int(b0)
                i += 1
            } else if b0 < 0xE0, i + 1 < range.upperBound {
                value = Int(b0 & 0x1F) << 6 | Int(utf8[i + 1] & 0x3F)
                i += 2
            } else {
                return nil // three- and four-byte scalars are never in the byte alphabet
            }
            guard value < byteForScalar.count else { return nil }
            let byte = byteForScalar[value]
            guard byte >= 0 else { return nil }
            out.append(UInt8(byte))
        }
        return split > 0 && split < out.count - start ? split : nil
    }

    /// The path for lines the fast path cannot take: split on the space and look the halves up by spelling.
    private mutating func addSlowly(line: String, index: Int) throws(TokenizerError) {
        let parts = line.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              let left = String(parts[0]), let right = String(parts[1]) else {
            throw .malformedMerge(index: index, text: line)
        }
        try add(left, right, index: index)
    }

    /// Adds the rule joining the tokens spelled `left` and `right`; it ranks after every rule added before.
    /// Merge rule `index` names them in errors.
    mutating func add(_ left: some StringProtocol, _ right: some StringProtocol, index: Int) throws(TokenizerError) {
        scratch.removeAll(keepingCapacity: true)
        ByteUnicodeMapping.appendBytes(spelledBy: left, to: &scratch)
        let split = scratch.count
        ByteUnicodeMapping.appendBytes(spelledBy: right, to: &scratch)
        let tables = self.tables
        let ids = try scratch.withUnsafeBufferPointer { buffer throws(TokenizerError) -> (Int32, Int32, Int32) in
            guard let base = buffer.baseAddress, split > 0, split < buffer.count else {
                throw .malformedMerge(index: index, text: String(left) + " " + String(right))
            }
            guard let l = tables.lookup(base, split, hash: hashBytes(base, split)) else {
                throw .mergeTokenNotInVocabulary(index: index, token: String(left))
            }
            let rightCount = buffer.count - split
            guard let r = tables.lookup(base + split, rightCount, hash: hashBytes(base + split, rightCount)) else {
                throw .mergeTokenNotInVocabulary(index: index, token: String(right))
            }
            guard let joined = tables.lookup(base, buffer.count, hash: hashBytes(base, buffer.count)) else {
                throw .mergeTokenNotInVocabulary(index: index, token: String(left) + String(right))
            }
            return (l, r, joined)
        }
        tables.insertPair(MergeRule.key(ids.0, ids.1), rank: rank, result: ids.2, replace: !firstPairWins)
        rank += 1
    }
}
