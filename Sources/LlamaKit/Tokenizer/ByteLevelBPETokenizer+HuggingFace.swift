extension ByteLevelBPETokenizer {
    /// Loads a Hugging Face `tokenizer.json`, and the `tokenizer_config.json` beside it when there is one.
    ///
    /// See ``loadHuggingFace(tokenizerJSON:config:file:)``.
    /// - Parameters:
    ///   - path: The `tokenizer.json` file.
    ///   - configPath: The `tokenizer_config.json` file; `nil` looks beside `path` and goes without if absent.
    public static func loadHuggingFace(path: String, configPath: String? = nil) throws(TokenizerError) -> ByteLevelBPETokenizer {
        let json = try readFile(path)
        var config: [UInt8]?
        if let configPath {
            config = try readFile(configPath)
        } else {
            let sibling = siblingPath(of: path, named: "tokenizer_config.json")
            if fileExists(sibling) { config = try readFile(sibling) }
        }
        return try loadHuggingFace(tokenizerJSON: json, config: config, file: path)
    }

    /// Builds a tokenizer from the contents of a Hugging Face `tokenizer.json` (and `tokenizer_config.json`).
    ///
    /// Supported, which covers the byte-level BPE tokenizers of GPT-2, Llama 3, Qwen, SmolLM and kin:
    /// - `model`: type `BPE` with `vocab`, `merges` (`"a b"` strings or `["a", "b"]` pairs; for a pair listed
    ///   twice the later rule wins, as in `tokenizers`) and `ignore_merges`. Other model types throw
    ///   ``TokenizerError/unsupportedModel(_:supported:)``; `byte_fallback`, `continuing_subword_prefix` and
    ///   `end_of_word_suffix` throw ``TokenizerError/unsupportedComponent(kind:name:)``. `dropout` is ignored.
    /// - `added_tokens`: `special` ones become control tokens (matched only when special tokens are parsed),
    ///   the others user-defined tokens (always matched). `lstrip`, `rstrip`, `single_word` and `normalized`
    ///   are not implemented; the Llama 3 files set them all false.
    /// - `normalizer`: none (any other throws ``TokenizerError/unsupportedComponent(kind:name:)``).
    /// - `pre_tokenizer`: `Sequence` of `Split` (regex or string pattern, any `behavior`, `invert`),
    ///   `ByteLevel` (`use_regex`; `add_prefix_space` only as the first step) and `Digits`.
    /// - `post_processor`: the BOS token from `TemplateProcessing` (also inside `Sequence`); other processors
    ///   add nothing. A template's trailing tokens (EOS) are not added.
    /// - `decoder`: `ByteLevel` (alone or in a `Sequence`), or none.
    /// - `tokenizer_config.json`: `add_bos_token`, `bos_token`, `eos_token`, `chat_template`.
    public static func loadHuggingFace(tokenizerJSON: [UInt8], config: [UInt8]?, file: String = "tokenizer.json") throws(TokenizerError) -> ByteLevelBPETokenizer {
        // The vocabulary and merge list (nearly all of the file) are read straight into bytes, not into a tree.
        let root = try TokenizerJSON.parse(tokenizerJSON, file: file, leavingRaw: [["model", "vocab"], ["model", "merges"]])
        func malformed(_ reason: String) -> TokenizerError { .malformedTokenizerJSON(file: file, reason: reason) }

        guard let model = root["model"]?.object else { throw malformed("no \"model\" object") }
        let type = model["type"]?.string ?? (model["merges"] != nil ? "BPE" : "unknown")
        guard type == "BPE" else { throw .unsupportedModel(type, supported: ["BPE"]) }
        if model["byte_fallback"]?.bool == true { throw .unsupportedComponent(kind: "BPE option", name: "byte_fallback") }
        for option in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[option]?.string, !value.isEmpty { throw .unsupportedComponent(kind: "BPE option", name: option) }
        }
        let ignoresMerges = model["ignore_merges"]?.bool ?? false

        // Vocabulary: spelled text by id, then added tokens over it.
        guard case let .raw(vocabRange)? = model["vocab"] else { throw malformed("model.vocab is not an object") }
        let vocab = try readVocabulary(tokenizerJSON, vocabRange, file: file)
        var added: [(id: Int, content: String, special: Bool)] = []
        if let list = root["added_tokens"], !list.isNull {
            guard let array = list.array else { throw malformed("added_tokens is not an array") }
            for entry in array {
                guard let id = entry["id"]?.int, id >= 0, let content = entry["content"]?.string else {
                    throw malformed("an added token lacks an id or content")
                }
                added.append((id, content, entry["special"]?.bool ?? false))
            }
        }
        var maxID = -1
        for entry in vocab.entries { maxID = max(maxID, entry.id) }
        for token in added { maxID = max(maxID, token.id) }
        guard maxID >= 0 else { throw .emptyVocabulary }
        guard maxID < Int(Int32.max) else { throw .tooLarge(what: "vocabulary", count: maxID + 1) }
        var entryByID = [Int](repeating: -1, count: maxID + 1)
        for (index, entry) in vocab.entries.enumerated() {
            guard entryByID[entry.id] < 0 else { throw malformed("vocabulary id \(entry.id) is given twice") }
            entryByID[entry.id] = index
        }
        var addedByID: [Int: (content: String, special: Bool)] = [:]
        for token in added { addedByID[token.id] = (token.content, token.special) }

        var vocabulary = Vocabulary()
        vocabulary.reserve(maxID + 1)
        for id in 0 ... maxID {
            if let token = addedByID[id] {
                vocabulary.append(spelled: token.content, kind: token.special ? .control : .userDefined)
            } else if entryByID[id] >= 0 {
                let entry = vocab.entries[entryByID[id]]
                vocabulary.append(bytes: vocab.bytes[entry.start ..< entry.end], kind: .normal)
            } else {
                vocabulary.append(bytes: [], kind: .unused)
            }
        }

        // Merges: "a b" lines read straight into UTF-8; the [a, b] pair layout through the tree.
        var mergeLines = MergeLines()
        var merges: [TokenizerJSON] = []
        switch model["merges"] {
        case nil, .null?:
            break
        case let .raw(range)?:
            if let lines = try readMergeLines(tokenizerJSON, range, file: file) {
                mergeLines = lines
            } else {
                var parser = TokenizerJSONParser(bytes: tokenizerJSON, file: file, position: range.lowerBound)
                guard case let .array(list) = try parser.parseValue() else { throw malformed("model.merges is not an array") }
                merges = list
            }
        default:
            throw malformed("model.merges is not an array")
        }
        let mergeCount = mergeLines.count > 0 ? mergeLines.count : merges.count

        // Pre-tokenizer, normalizer, decoder.
        var steps: [PreTokenizerPipeline.Step] = []
        var addsPrefixSpace = false
        var sawByteLevel = false
        try collectPreTokenizer(root["pre_tokenizer"] ?? .null, steps: &steps, addsPrefixSpace: &addsPrefixSpace,
                                sawByteLevel: &sawByteLevel, file: file)
        let pipeline = try PreTokenizerPipeline(steps: steps, addsPrefixSpace: addsPrefixSpace)
        try checkNormalizer(root["normalizer"] ?? .null)
        sawByteLevel = try checkDecoder(root["decoder"] ?? .null) || sawByteLevel
        guard sawByteLevel else {
            throw .unsupportedComponent(kind: "decoder", name: root["decoder"]?["type"]?.string ?? "none (not byte-level)")
        }

        // BOS from the post-processor, then tokenizer_config.json.
        var bosToken: Int32?
        var addsBOS = false
        if let templateBOS = try templateBOS(root["post_processor"] ?? .null, vocabulary: vocabulary, file: file) {
            bosToken = templateBOS
            addsBOS = true
        }
        var eosToken: Int32?
        var chatTemplate: String?
        if let config {
            let configFile = siblingPath(of: file, named: "tokenizer_config.json")
            let settings = try TokenizerJSON.parse(config, file: configFile)
            guard settings.object != nil else { throw .malformedTokenizerJSON(file: configFile, reason: "not an object") }
            if let name = tokenName(settings["bos_token"]) {
                guard let id = vocabulary.id(ofLiteral: name) else {
                    throw .malformedTokenizerJSON(file: configFile, reason: "bos_token \(name) is not a token")
                }
                bosToken = id
            }
            if let name = tokenName(settings["eos_token"]) {
                guard let id = vocabulary.id(ofLiteral: name) else {
                    throw .malformedTokenizerJSON(file: configFile, reason: "eos_token \(name) is not a token")
                }
                eosToken = id
            }
            if let flag = settings["add_bos_token"]?.bool { addsBOS = flag }
            switch settings["chat_template"] {
            case let .string(source)?:
                chatTemplate = source
            case let .array(named)?:
                chatTemplate = named.first { $0["name"]?.string == "default" }?["template"]?.string
                    ?? named.first?["template"]?.string
            default:
                break
            }
        }
        var unknownToken: Int32?
        if let name = model["unk_token"]?.string { unknownToken = vocabulary.id(ofLiteral: name) }

        return try ByteLevelBPETokenizer(
            vocabulary: vocabulary, mergeCount: mergeCount, mergeMode: .pairRules, firstPairWins: false,
            merges: { resolver throws(TokenizerError) in
                if mergeLines.count > 0 {
                    try resolver.add(lines: mergeLines)
                    return
                }
                for (index, merge) in merges.enumerated() {
                    switch merge {
                    case let .string(text):
                        try resolver.add(line: text, index: index)
                    case let .array(pair):
                        guard pair.count == 2, let left = pair[0].string, let right = pair[1].string,
                              !left.isEmpty, !right.isEmpty else {
                            throw .malformedMerge(index: index, text: "\(pair.map { $0.string ?? "?" })")
                        }
                        try resolver.add(left, right, index: index)
                    default:
                        throw .malformedMerge(index: index, text: "(not a string or a pair)")
                    }
                }
            },
            pipeline: pipeline,
            ignoresMerges: ignoresMerges,
            bosToken: bosToken, eosToken: eosToken, unknownToken: unknownToken,
            addsBOSByDefault: addsBOS && bosToken != nil,
            extraEndOfTurnTokens: [],
            chatTemplateSource: chatTemplate
        )
    }

    // MARK: Big values, read without a tree

    /// `model.vocab` (`{"spelled token": id, ...}`) as token bytes back to back, with each entry's id.
    private static func readVocabulary(
        _ json: [UInt8], _ range: Range<Int>, file: String
    ) throws(TokenizerError) -> (bytes: [UInt8], entries: [(id: Int, start: Int, end: Int)]) {
        var parser = TokenizerJSONParser(bytes: json, file: file, position: range.lowerBound)
        var bytes: [UInt8] = []
        var entries: [(id: Int, start: Int, end: Int)] = []
        bytes.reserveCapacity(range.count / 2)
        entries.reserveCapacity(range.count / 12)
        var spelled: [UInt8] = []
        try parser.expect(byte: UInt8(ascii: "{"))
        if try parser.peek() == UInt8(ascii: "}") { return (bytes, entries) }
        while true {
            spelled.removeAll(keepingCapacity: true)
            parser.skipWhitespace()
            try parser.parseStringBytes(into: &spelled)
            try parser.expect(byte: UInt8(ascii: ":"))
            parser.skipWhitespace()
            let id = try parser.parseNonNegativeInt()
            let start = bytes.count
            ByteUnicodeMapping.appendBytes(spelledUTF8: spelled, to: &bytes)
            entries.append((id, start, bytes.count))
            let next = try parser.peek()
            parser.i += 1
            if next == UInt8(ascii: "}") { return (bytes, entries) }
            guard next == UInt8(ascii: ",") else { parser.i -= 1; throw parser.fail("expected ',' or '}'") }
        }
    }

    /// `model.merges` as UTF-8 lines, or `nil` if it is not all `"a b"` strings (the pair layout).
    private static func readMergeLines(_ json: [UInt8], _ range: Range<Int>, file: String) throws(TokenizerError) -> MergeLines? {
        var parser = TokenizerJSONParser(bytes: json, file: file, position: range.lowerBound)
        var lines = MergeLines()
        lines.utf8.reserveCapacity(range.count)
        lines.ends.reserveCapacity(range.count / 10)
        try parser.expect(byte: UInt8(ascii: "["))
        if try parser.peek() == UInt8(ascii: "]") { return lines }
        while true {
            guard try parser.peek() == UInt8(ascii: "\"") else { return nil }
            try parser.parseStringBytes(into: &lines.utf8)
            lines.endLine()
            let next = try parser.peek()
            parser.i += 1
            if next == UInt8(ascii: "]") { return lines }
            guard next == UInt8(ascii: ",") else { parser.i -= 1; throw parser.fail("expected ',' or ']'") }
        }
    }

    // MARK: Components

    private static func collectPreTokenizer(
        _ value: TokenizerJSON, steps: inout [PreTokenizerPipeline.Step], addsPrefixSpace: inout Bool,
        sawByteLevel: inout Bool, file: String
    ) throws(TokenizerError) {
        if value.isNull { return }
        guard let type = value["type"]?.string else {
            throw .malformedTokenizerJSON(file: file, reason: "a pre-tokenizer has no type")
        }
        switch type {
        case "Sequence":
            for inner in value["pretokenizers"]?.array ?? [] {
                try collectPreTokenizer(inner, steps: &steps, addsPrefixSpace: &addsPrefixSpace, sawByteLevel: &sawByteLevel, file: file)
            }
        case "Split":
            let pattern: String
            if let regex = value["pattern"]?["Regex"]?.string {
                pattern = regex
            } else if let literal = value["pattern"]?["String"]?.string {
                pattern = escapedForRegex(literal)
            } else {
                throw .malformedTokenizerJSON(file: file, reason: "a Split pre-tokenizer has no pattern")
            }
            let behaviorName = value["behavior"]?.string ?? "Isolated"
            guard let behavior = PreTokenizerPipeline.Behavior(rawValue: behaviorName) else {
                throw .unsupportedComponent(kind: "Split behavior", name: behaviorName)
            }
            steps.append(.split(pattern: pattern, behavior: behavior, invert: value["invert"]?.bool ?? false))
        case "ByteLevel":
            sawByteLevel = true
            if value["add_prefix_space"]?.bool ?? true {
                guard steps.isEmpty else {
                    throw .unsupportedComponent(kind: "pre-tokenizer", name: "ByteLevel with add_prefix_space after another step")
                }
                addsPrefixSpace = true
            }
            if value["use_regex"]?.bool ?? true { steps.append(.scanner(.gpt2)) }
        case "Digits":
            steps.append(.digits(individual: value["individual_digits"]?.bool ?? false))
        default:
            throw .unsupportedComponent(kind: "pre-tokenizer", name: type)
        }
    }

    /// Throws for any normalizer: byte-level BPE files have none (NFC and the rest are not implemented).
    private static func checkNormalizer(_ value: TokenizerJSON) throws(TokenizerError) {
        if value.isNull { return }
        let type = value["type"]?.string ?? "?"
        if type == "Sequence", value["normalizers"]?.array?.isEmpty == true { return }
        throw .unsupportedComponent(kind: "normalizer", name: type)
    }

    /// Whether the decoder is byte-level; throws for decoders that would decode differently.
    private static func checkDecoder(_ value: TokenizerJSON) throws(TokenizerError) -> Bool {
        if value.isNull { return false }
        let type = value["type"]?.string ?? "?"
        switch type {
        case "ByteLevel":
            return true
        case "Sequence":
            var byteLevel = false
            for inner in value["decoders"]?.array ?? [] { byteLevel = try checkDecoder(inner) || byteLevel }
            return byteLevel
        default:
            throw .unsupportedComponent(kind: "decoder", name: type)
        }
    }

    /// The special token a `TemplateProcessing` single-sequence template starts with, if any.
    private static func templateBOS(_ value: TokenizerJSON, vocabulary: Vocabulary, file: String) throws(TokenizerError) -> Int32? {
        guard let type = value["type"]?.string else { return nil }
        switch type {
        case "Sequence":
            for inner in value["processors"]?.array ?? [] {
                if let id = try templateBOS(inner, vocabulary: vocabulary, file: file) { return id }
            }
            return nil
        case "TemplateProcessing":
            guard let first = value["single"]?.array?.first, let name = first["SpecialToken"]?["id"]?.string else {
                return nil
            }
            if let ids = value["special_tokens"]?[name]?["ids"]?.array, let id = ids.first?.int {
                guard id >= 0, id < vocabulary.kinds.count else {
                    throw .specialTokenOutOfRange(key: "post_processor special token \(name)", id: id, vocabularySize: vocabulary.kinds.count)
                }
                return Int32(id)
            }
            return vocabulary.id(ofLiteral: name)
        default:
            return nil
        }
    }

    /// A token name from `tokenizer_config.json`: a string, or an object with `content`.
    private static func tokenName(_ value: TokenizerJSON?) -> String? {
        switch value {
        case let .string(name)?: return name
        case let .object(object)?: return object["content"]?.string
        default: return nil
        }
    }

    /// `literal` as a regex that matches exactly it.
    private static func escapedForRegex(_ literal: String) -> String {
        var out = ""
        for scalar in literal.unicodeScalars {
            if scalar.isASCII, !(scalar.properties.isAlphabetic || ("0" ... "9").contains(scalar)) {
                out += "\\"
            }
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}

extension Vocabulary {
    /// The id of the token whose literal text (control or user-defined) is `name`, else of the ordinary
    /// token spelled `name`.
    func id(ofLiteral name: String) -> Int32? {
        if let entry = literalTexts.last(where: { $0.1 == name }) { return entry.0 }
        var target: [UInt8] = []
        ByteUnicodeMapping.appendBytes(spelledBy: name, to: &target)
        for id in 0 ..< kinds.count where kinds[id] == .normal {
            if offsets[id + 1] - offsets[id] == target.count, bytes[offsets[id] ..< offsets[id + 1]].elementsEqual(target) {
                return Int32(id)
            }
        }
        return nil
    }
}

/// `name` in the folder that holds `path`.
func siblingPath(of path: String, named name: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return name }
    return String(path[...slash]) + name
}
