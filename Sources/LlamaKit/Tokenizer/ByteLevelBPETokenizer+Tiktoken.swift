extension ByteLevelBPETokenizer {
    /// Llama 3.1's 256 special tokens as Meta's `tokenizer.py` names them, for ids 128000 through 128255.
    ///
    /// 128000 `<|begin_of_text|>`, 128001 `<|end_of_text|>`, 128002-128003 `<|reserved_special_token_0|>` and
    /// `_1|>`, 128004 `<|finetune_right_pad_id|>`, 128005 `<|reserved_special_token_2|>`, 128006
    /// `<|start_header_id|>`, 128007 `<|end_header_id|>`, 128008 `<|eom_id|>`, 128009 `<|eot_id|>`, 128010
    /// `<|python_tag|>`, then `<|reserved_special_token_3|>` through `<|reserved_special_token_247|>`.
    public static let llama31SpecialTokenNames: [String] = {
        var names = [
            "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
            "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>",
            "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
        ]
        let fixed = names.count
        names += (0 ..< 256 - fixed).map { "<|reserved_special_token_\(3 + $0)|>" }
        return names
    }()

    /// Loads a tiktoken vocabulary file such as Meta's Llama 3 `tokenizer.model`.
    ///
    /// See ``loadTiktoken(contents:file:specialTokens:pattern:)``; this reads the file first.
    public static func loadTiktoken(
        path: String,
        specialTokens: [String] = llama31SpecialTokenNames,
        pattern: String = PreTokenizer.llama3Pattern
    ) throws(TokenizerError) -> ByteLevelBPETokenizer {
        try loadTiktoken(contents: try readFile(path), file: path, specialTokens: specialTokens, pattern: pattern)
    }

    /// Builds a tokenizer from the contents of a tiktoken vocabulary file: one line per token, its bytes in
    /// base64, a space, and its rank (which becomes its id). Empty lines are skipped, as tiktoken does.
    ///
    /// tiktoken semantics throughout: a pre-token that is a whole token is emitted as is, and otherwise the
    /// pair of neighbouring symbols whose joined bytes form the lowest-ranked token merges first.
    /// `specialTokens` take the ids after the highest rank, in order (Meta's convention); the first is BOS,
    /// the second EOS, and BOS is added by default. Text the `pattern` does not match is dropped, as
    /// tiktoken drops it (Llama 3's pattern matches everything).
    ///
    /// Throws ``TokenizerError/malformedVocabularyLine(line:text:)``, ``TokenizerError/invalidBase64(line:text:)``
    /// or ``TokenizerError/duplicateRank(line:rank:)`` for a bad line.
    public static func loadTiktoken(
        contents: [UInt8],
        file: String = "tokenizer.model",
        specialTokens: [String] = llama31SpecialTokenNames,
        pattern: String = PreTokenizer.llama3Pattern
    ) throws(TokenizerError) -> ByteLevelBPETokenizer {
        // (rank, start, end) of each token's decoded bytes in `decoded`.
        var entries: [(rank: Int, start: Int, end: Int)] = []
        var decoded: [UInt8] = []
        decoded.reserveCapacity(contents.count)
        entries.reserveCapacity(contents.count / 10)
        var lineStart = 0
        var lineNumber = 0
        var maxRank = -1
        while lineStart < contents.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < contents.count, contents[lineEnd] != 0x0A { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > lineStart, contents[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            defer { lineStart = lineEnd + 1 }
            if contentEnd == lineStart { continue }
            let line = contents[lineStart ..< contentEnd]
            func lineText() -> String { String(decoding: line, as: UTF8.self) }
            guard let space = line.firstIndex(of: 0x20), space > lineStart,
                  let rank = parseRank(contents[(space + 1) ..< contentEnd]) else {
                throw .malformedVocabularyLine(line: lineNumber, text: lineText())
            }
            let start = decoded.count
            guard decodeBase64(contents[lineStart ..< space], into: &decoded), decoded.count > start else {
                throw .invalidBase64(line: lineNumber, text: lineText())
            }
            entries.append((rank, start, decoded.count))
            maxRank = max(maxRank, rank)
        }
        guard !entries.isEmpty else { throw .emptyVocabulary }
        let baseCount = maxRank + 1
        guard baseCount + specialTokens.count <= Int(Int32.max) else {
            throw .tooLarge(what: "vocabulary", count: baseCount + specialTokens.count)
        }

        // Tokens in id order; ranks not in the file are empty, unused ids.
        var slots = [Int](repeating: -1, count: baseCount)
        for (index, entry) in entries.enumerated() {
            guard slots[entry.rank] < 0 else {
                throw .duplicateRank(line: lineNumberOfEntry(index, contents), rank: entry.rank)
            }
            slots[entry.rank] = index
        }
        var vocabulary = Vocabulary()
        vocabulary.reserve(baseCount + specialTokens.count)
        vocabulary.bytes.reserveCapacity(decoded.count + specialTokens.count * 28)
        for slot in slots {
            if slot < 0 {
                vocabulary.append(bytes: [], kind: .unused)
            } else {
                let entry = entries[slot]
                vocabulary.append(bytes: decoded[entry.start ..< entry.end], kind: .normal)
            }
        }
        for name in specialTokens { vocabulary.append(spelled: name, kind: .control) }

        let steps: [PreTokenizerPipeline.Step] = pattern == PreTokenizer.llama3Pattern || pattern == PreTokenizer.gpt2Pattern
            ? [.split(pattern: pattern, behavior: .isolated, invert: false)]
            : [.split(pattern: pattern, behavior: .removed, invert: true)] // keep matches only, as tiktoken
        return try ByteLevelBPETokenizer(
            vocabulary: vocabulary, mergeCount: 0, mergeMode: .tokenRanks, firstPairWins: true,
            merges: { _ throws(TokenizerError) in },
            pipeline: try PreTokenizerPipeline(steps: steps),
            ignoresMerges: true,
            bosToken: specialTokens.isEmpty ? nil : Int32(baseCount),
            eosToken: specialTokens.count < 2 ? nil : Int32(baseCount + 1),
            unknownToken: nil,
            addsBOSByDefault: !specialTokens.isEmpty,
            extraEndOfTurnTokens: [],
            chatTemplateSource: nil
        )
    }

    /// The 1-based line number of the `index`-th non-empty line (only for error messages).
    private static func lineNumberOfEntry(_ index: Int, _ contents: [UInt8]) -> Int {
        var seen = -1
        var line = 0
        var start = 0
        while start < contents.count {
            line += 1
            var end = start
            while end < contents.count, contents[end] != 0x0A { end += 1 }
            let blank = end == start || (end == start + 1 && contents[start] == 0x0D)
            if !blank {
                seen += 1
                if seen == index { return line }
            }
            start = end + 1
        }
        return line
    }

    /// A non-negative decimal rank, or `nil`.
    private static func parseRank(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value = 0
        for d in digits {
            guard d >= 0x30, d <= 0x39 else { return nil }
            value = value * 10 + Int(d - 0x30)
        }
        return value <= Int(Int32.max) ? value : nil
    }

    /// Decodes standard base64 (with `=` padding, which may be left out) and appends the bytes to `out`.
    static func decodeBase64(_ text: ArraySlice<UInt8>, into out: inout [UInt8]) -> Bool {
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in text {
            let value: UInt32
            switch c {
            case UInt8(ascii: "A") ... UInt8(ascii: "Z"): value = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a") ... UInt8(ascii: "z"): value = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): value = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default:
                return false
            }
            guard padding == 0 else { return false } // data after padding
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero padding of a final partial group: 2 or 4 bits, never 6.
        guard bits != 6, padding <= 2, accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return false }
        if padding > 0, (text.count % 4) != 0 { return false }
        return true
    }
}

/// The whole contents of the file at `path`.
func readFile(_ path: String) throws(TokenizerError) -> [UInt8] {
    do {
        let file = try MappedFile(path: path)
        // The mapping is gone once `file` is released, so copy while it is certainly alive.
        return withExtendedLifetime(file) { Array(file.bytes) }
    } catch let FileError.cannotOpen(_, reason) {
        throw .unreadableFile(path: path, reason: reason)
    } catch {
        throw .unreadableFile(path: path, reason: "\(error)")
    }
}
