import Foundation
import Testing
@testable import LlamaKit

/// tokenizer.json pipelines beyond Llama 3's, and bad tokenizer.model / tokenizer.json / decode input.
@Suite struct TokenizerFormatTests {
    // MARK: A tiny byte-level BPE in tokenizer.json form

    /// 256 byte tokens (id = byte), then "ab" 256, "abc" 257, "Ġa" 258, "Ġab" 259, "12" 260, "ĠĠ" 261, and the
    /// added tokens "<x>" 262 (not special) and "<s>" 263 (special).
    static func tinyJSON(preTokenizer: String, model: [String: String] = [:], merges: String? = nil,
                         postProcessor: String = "null", normalizer: String = "null", decoder: String? = nil) -> [UInt8] {
        var vocab: [String] = []
        for byte in 0 ..< 256 { vocab.append(jsonString(String(ByteUnicodeMapping.scalarForByte[byte])) + ": \(byte)") }
        for (offset, token) in ["ab", "abc", "Ġa", "Ġab", "12", "ĠĠ"].enumerated() { vocab.append("\"\(token)\": \(256 + offset)") }
        var modelFields = [
            "\"type\"": "\"BPE\"", "\"dropout\"": "null", "\"unk_token\"": "null", "\"byte_fallback\"": "false",
            "\"ignore_merges\"": "false",
            "\"merges\"": merges ?? #"["a b", "ab c", "Ġ a", "Ġa b", "1 2", "Ġ Ġ"]"#,
        ]
        for (key, value) in model { modelFields["\"\(key)\""] = value }
        let modelJSON = modelFields.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ", \"vocab\": {" + vocab.joined(separator: ", ") + "}"
        return Array("""
        {"version": "1.0", "added_tokens": [
          {"id": 262, "content": "<x>", "special": false}, {"id": 263, "content": "<s>", "special": true}],
         "normalizer": \(normalizer), "pre_tokenizer": \(preTokenizer), "post_processor": \(postProcessor),
         "decoder": \(decoder ?? #"{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}"#),
         "model": {\(modelJSON)}}
        """.utf8)
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static let byteLevel = #"{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}"#
    static func split(_ pattern: String, _ behavior: String, invert: Bool = false) -> String {
        #"{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": \#(pattern), "behavior": "\#(behavior)", "invert": \#(invert)}, \#(byteLevel)]}"#
    }

    static let texts = ["abc abc", "ab12ab 12", "x..abc.ab", "a  b..c abc", "abcab", "  ab", "<x>ab<x> ab", "<s>abc"]

    /// Expected ids from Hugging Face `tokenizers` 0.23.3 on the same files (special tokens as text, then parsed).
    static let pipelines: [(name: String, preTokenizer: String, plain: [[Int32]], special: [[Int32]])] = [
        ("Split MergedWithNext", split(#"{"Regex": "\\d+"}"#, "MergedWithNext"),
         [[257, 32, 257], [256, 260, 256, 32, 260], [120, 46, 46, 257, 46, 256], [97, 261, 98, 46, 46, 99, 32, 257], [257, 256], [261, 256], [262, 256, 262, 32, 256], [60, 115, 62, 257]],
         [[257, 32, 257], [256, 260, 256, 32, 260], [120, 46, 46, 257, 46, 256], [97, 261, 98, 46, 46, 99, 32, 257], [257, 256], [261, 256], [262, 256, 262, 32, 256], [263, 257]]),
        ("Split Removed inverted", split(#"{"Regex": "[a-c]+"}"#, "Removed", invert: true),
         [[257, 257], [256, 256], [257, 256], [97, 98, 99, 257], [257, 256], [256], [262, 256, 262, 256], [257]],
         [[257, 257], [256, 256], [257, 256], [97, 98, 99, 257], [257, 256], [256], [262, 256, 262, 256], [263, 257]]),
        ("Split string MergedWithPrevious", split(#"{"String": "."}"#, "MergedWithPrevious"),
         [[257, 32, 257], [256, 260, 256, 32, 260], [120, 46, 46, 257, 46, 256], [97, 261, 98, 46, 46, 99, 32, 257], [257, 256], [261, 256], [262, 256, 262, 32, 256], [60, 115, 62, 257]],
         [[257, 32, 257], [256, 260, 256, 32, 260], [120, 46, 46, 257, 46, 256], [97, 261, 98, 46, 46, 99, 32, 257], [257, 256], [261, 256], [262, 256, 262, 32, 256], [263, 257]]),
        ("Split Contiguous", split(#"{"Regex": "[ .]"}"#, "Contiguous"),
         [[257, 32, 257], [256, 260, 256, 32, 260], [120, 46, 46, 257, 46, 256], [97, 261, 98, 46, 46, 99, 32, 257], [257, 256], [261, 256], [262, 256, 262, 32, 256], [60, 115, 62, 257]],
         [[257, 32, 257], [256, 260, 256, 32, 260], [120, 46, 46, 257, 46, 256], [97, 261, 98, 46, 46, 99, 32, 257], [257, 256], [261, 256], [262, 256, 262, 32, 256], [263, 257]]),
        ("ByteLevel add_prefix_space", #"{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}"#,
         [[32, 257, 32, 257], [32, 256, 260, 256, 32, 260], [32, 120, 46, 46, 257, 46, 256], [258, 32, 32, 98, 46, 46, 99, 32, 257], [32, 257, 256], [32, 32, 256], [262, 32, 256, 262, 32, 256], [32, 60, 115, 62, 257]],
         [[32, 257, 32, 257], [32, 256, 260, 256, 32, 260], [32, 120, 46, 46, 257, 46, 256], [258, 32, 32, 98, 46, 46, 99, 32, 257], [32, 257, 256], [32, 32, 256], [262, 32, 256, 262, 32, 256], [263, 32, 257]]),
        ("Digits", #"{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": false}, \#(byteLevel)]}"#,
         [[257, 32, 257], [256, 260, 256, 32, 260], [120, 46, 46, 257, 46, 256], [97, 261, 98, 46, 46, 99, 32, 257], [257, 256], [261, 256], [262, 256, 262, 32, 256], [60, 115, 62, 257]],
         [[257, 32, 257], [256, 260, 256, 32, 260], [120, 46, 46, 257, 46, 256], [97, 261, 98, 46, 46, 99, 32, 257], [257, 256], [261, 256], [262, 256, 262, 32, 256], [263, 257]]),
    ]

    @Test func tokenizerJSONPipelinesMatchTokenizers() throws {
        for pipeline in Self.pipelines {
            let tokenizer = try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: pipeline.preTokenizer), config: nil)
            for (index, text) in Self.texts.enumerated() {
                #expect(tokenizer.encode(text, addBOS: false, parseSpecial: false) == pipeline.plain[index], "\(pipeline.name): \(text)")
                #expect(tokenizer.encode(text, addBOS: false, parseSpecial: true) == pipeline.special[index], "\(pipeline.name): \(text)")
            }
        }
    }

    /// Expected pieces from `tokenizers`' `Split("-", behavior)` and `Digits`.
    @Test func pipelineSplitBehaviours() throws {
        func words(_ behavior: PreTokenizerPipeline.Behavior, invert: Bool = false) throws -> [String] {
            try PreTokenizerPipeline(steps: [.split(pattern: "-", behavior: behavior, invert: invert)]).words("a-b--c-")
        }
        #expect(try words(.isolated) == ["a", "-", "b", "-", "-", "c", "-"])
        #expect(try words(.removed) == ["a", "b", "c"])
        #expect(try words(.mergedWithPrevious) == ["a-", "b-", "-", "c-"])
        #expect(try words(.mergedWithNext) == ["a", "-b", "-", "-c", "-"])
        #expect(try words(.contiguous) == ["a", "-", "b", "--", "c", "-"])
        #expect(try words(.removed, invert: true) == ["-", "-", "-", "-"])
        #expect(try PreTokenizerPipeline(steps: [.digits(individual: true)]).words("ab123c٤5") == ["ab", "1", "2", "3", "c", "٤", "5"])
        #expect(try PreTokenizerPipeline(steps: [.digits(individual: false)]).words("ab123c٤5") == ["ab", "123", "c", "٤5"])
    }

    @Test func postProcessorAndConfig() throws {
        let template = #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [263], "tokens": ["<s>"]}}}"#
        let json = Self.tinyJSON(preTokenizer: Self.byteLevel, postProcessor: template)
        let plain = try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: json, config: nil)
        #expect(plain.bosToken == 263 && plain.addsBOSByDefault && plain.eosToken == nil)
        #expect(plain.encode("ab", addBOS: true, parseSpecial: false) == [263, 256])
        let config = Array(#"{"add_bos_token": false, "bos_token": {"content": "<s>"}, "eos_token": "<x>", "chat_template": "{{ messages }}"}"#.utf8)
        let configured = try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: json, config: config)
        #expect(configured.bosToken == 263 && !configured.addsBOSByDefault && configured.eosToken == 262)
        #expect(configured.chatTemplateSource == "{{ messages }}")
        #expect(configured.endOfTurnTokens == [262])
    }

    @Test func mergesAsPairsAndIgnoreMerges() throws {
        let pairs = Self.tinyJSON(preTokenizer: Self.byteLevel, merges: #"[["a", "b"], ["ab", "c"]]"#)
        #expect(try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: pairs, config: nil).encode("abc", addBOS: false, parseSpecial: false) == [257])
        // "12" is a token that no merge builds ("1 2" is left out): only ignore_merges emits it whole.
        let without12 = #"["a b", "ab c"]"#
        let merging = Self.tinyJSON(preTokenizer: Self.byteLevel, merges: without12)
        let ignoring = Self.tinyJSON(preTokenizer: Self.byteLevel, model: ["ignore_merges": "true"], merges: without12)
        #expect(try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: merging, config: nil).encode("12", addBOS: false, parseSpecial: false) == [49, 50])
        #expect(try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: ignoring, config: nil).encode("12", addBOS: false, parseSpecial: false) == [260])
    }

    // MARK: Bad tokenizer.json

    @Test func unknownModelType() {
        #expect(throws: TokenizerError.unsupportedModel("WordPiece", supported: ["BPE"])) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.byteLevel, model: ["type": "\"WordPiece\""]), config: nil)
        }
        #expect(throws: TokenizerError.unsupportedModel("Unigram", supported: ["BPE"])) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Array(#"{"model": {"type": "Unigram", "vocab": []}}"#.utf8), config: nil)
        }
    }

    @Test func badMerges() {
        #expect(throws: TokenizerError.malformedMerge(index: 1, text: "abc")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.byteLevel, merges: #"["a b", "abc"]"#), config: nil)
        }
        #expect(throws: TokenizerError.malformedMerge(index: 0, text: "a  b")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.byteLevel, merges: #"["a  b"]"#), config: nil)
        }
        #expect(throws: TokenizerError.mergeTokenNotInVocabulary(index: 0, token: "zz")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.byteLevel, merges: #"["zz a"]"#), config: nil)
        }
        #expect(throws: TokenizerError.mergeTokenNotInVocabulary(index: 0, token: "xy")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.byteLevel, merges: #"[["x", "y"]]"#), config: nil)
        }
        #expect(throws: TokenizerError.malformedMerge(index: 0, text: "(not a string or a pair)")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.byteLevel, merges: "[3]"), config: nil)
        }
    }

    @Test func unsupportedComponentsAndBadJSON() {
        #expect(throws: TokenizerError.unsupportedComponent(kind: "pre-tokenizer", name: "Metaspace")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: #"{"type": "Metaspace"}"#), config: nil)
        }
        #expect(throws: TokenizerError.unsupportedComponent(kind: "BPE option", name: "byte_fallback")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.byteLevel, model: ["byte_fallback": "true"]), config: nil)
        }
        #expect(throws: TokenizerError.unsupportedComponent(kind: "normalizer", name: "NFKC")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.byteLevel, normalizer: #"{"type": "NFKC"}"#), config: nil)
        }
        #expect(throws: TokenizerError.unsupportedComponent(kind: "decoder", name: "WordPiece")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.byteLevel, decoder: #"{"type": "WordPiece"}"#), config: nil)
        }
        #expect(throws: TokenizerError.invalidJSON(file: "tokenizer.json", offset: 12, reason: "unexpected end of file")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Array(#"{"model": {}"#.utf8), config: nil)
        }
        #expect(throws: TokenizerError.malformedTokenizerJSON(file: "tokenizer.json", reason: "no \"model\" object")) {
            try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Array("[]".utf8), config: nil)
        }
        do {
            _ = try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.split(#"{"Regex": "(unclosed"}"#, "Isolated")), config: nil)
            Issue.record("a bad regex loaded")
        } catch let error {
            guard case let .invalidRegex(pattern, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(pattern == "(unclosed")
        }
    }

    // MARK: Bad tokenizer.model

    static func tiktoken(_ text: String) throws(TokenizerError) -> ByteLevelBPETokenizer {
        try ByteLevelBPETokenizer.loadTiktoken(contents: Array(text.utf8), specialTokens: ["<|bos|>", "<|eos|>"])
    }

    @Test func tiktokenVocabulary() throws {
        // "a" 0, "b" 1, " " 2, "ab" 3, "abab" 5 (rank 4 left out: id 4 is unused).
        let tokenizer = try Self.tiktoken("YQ== 0\nYg== 1\nIA== 2\r\nYWI= 3\n\nYWJhYg== 5\n")
        #expect(tokenizer.vocabularySize == 8)
        #expect(tokenizer.bosToken == 6 && tokenizer.eosToken == 7)
        #expect(tokenizer.encode("abab ab", addBOS: true, parseSpecial: false) == [6, 5, 2, 3])
        #expect(tokenizer.encode("<|eos|>", addBOS: false, parseSpecial: true) == [7])
        #expect(try tokenizer.decode([5, 2, 4, 3]) == "abab ab")
        #expect(tokenizer.kind(of: 4) == .unused)
    }

    @Test func malformedTiktokenLines() {
        #expect(throws: TokenizerError.malformedVocabularyLine(line: 2, text: "Yg==")) { try Self.tiktoken("YQ== 0\nYg==\n") }
        #expect(throws: TokenizerError.malformedVocabularyLine(line: 1, text: "YQ== one")) { try Self.tiktoken("YQ== one\n") }
        #expect(throws: TokenizerError.malformedVocabularyLine(line: 1, text: "YQ== -1")) { try Self.tiktoken("YQ== -1\n") }
        #expect(throws: TokenizerError.malformedVocabularyLine(line: 1, text: " 0")) { try Self.tiktoken(" 0\n") }
        #expect(throws: TokenizerError.invalidBase64(line: 3, text: "Y!== 2")) { try Self.tiktoken("YQ== 0\n\nY!== 2\n") }
        #expect(throws: TokenizerError.invalidBase64(line: 1, text: "YQ=x 0")) { try Self.tiktoken("YQ=x 0\n") }
        #expect(throws: TokenizerError.invalidBase64(line: 1, text: "Y 0")) { try Self.tiktoken("Y 0\n") }
        #expect(throws: TokenizerError.duplicateRank(line: 3, rank: 0)) { try Self.tiktoken("YQ== 0\nYg== 1\nYw== 0\n") }
        #expect(throws: TokenizerError.emptyVocabulary) { try Self.tiktoken("\n\n") }
        #expect(TokenizerError.malformedVocabularyLine(line: 7, text: "x").description.contains("Line 7"))
    }

    @Test func base64() {
        func decode(_ text: String) -> [UInt8]? {
            var out: [UInt8] = []
            return ByteLevelBPETokenizer.decodeBase64(Array(text.utf8)[...], into: &out) ? out : nil
        }
        #expect(decode("SGVsbG8=") == Array("Hello".utf8))
        #expect(decode("SGVsbG8") == Array("Hello".utf8))
        #expect(decode("+/8=") == [0xFB, 0xFF])
        #expect(decode("SGVsbG8==") == nil)
        #expect(decode("S") == nil)
        #expect(decode("SGVsbG9=") == nil, "non-zero padding bits")
    }

    // MARK: Decoding and paths

    @Test func idsOutOfRangeInDecode() throws {
        let tokenizer = try Self.tiktoken("YQ== 0\nYg== 1\n")
        for bad: Int32 in [-1, 4, .max, .min] {
            #expect(throws: TokenizerError.tokenOutOfRange(id: bad, vocabularySize: 4)) { try tokenizer.decode([0, bad]) }
            #expect(throws: TokenizerError.tokenOutOfRange(id: bad, vocabularySize: 4)) { try tokenizer.tokenBytes(bad) }
        }
        let json = try ByteLevelBPETokenizer.loadHuggingFace(tokenizerJSON: Self.tinyJSON(preTokenizer: Self.byteLevel), config: nil)
        #expect(throws: TokenizerError.tokenOutOfRange(id: 264, vocabularySize: 264)) { try json.decode([264]) }
    }

    @Test func badPaths() throws {
        #expect(throws: TokenizerError.self) { try loadTokenizer(path: "/nonexistent/tokenizer.json") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: TokenizerError.unrecognizedTokenizerPath(folder.path)) { try loadTokenizer(path: folder.path) }
        // A folder with a tiny tokenizer.json and a tokenizer.model prefers the JSON; a renamed JSON is sniffed.
        try Data(Self.tinyJSON(preTokenizer: Self.byteLevel)).write(to: folder.appendingPathComponent("tokenizer.json"))
        try Data("YQ== 0\n".utf8).write(to: folder.appendingPathComponent("tokenizer.model"))
        #expect(try loadTokenizer(path: folder.path).vocabularySize == 264)
        try Data(Self.tinyJSON(preTokenizer: Self.byteLevel)).write(to: folder.appendingPathComponent("renamed.txt"))
        #expect(try resolveTokenizerPath(folder.appendingPathComponent("renamed.txt").path).format == .huggingFace)
        #expect(try resolveTokenizerPath(folder.appendingPathComponent("tokenizer.model").path).format == .tiktoken)
    }
}

/// The scalar class table agrees with the Unicode properties it shortcuts.
@Suite struct ScalarClassTableTests {
    @Test func tableMatchesProperties() {
        let table = ScalarClassTable.shared
        var mismatches: [UInt32] = []
        for value in stride(from: UInt32(0), to: 0x11_0000, by: 1) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if value >= UInt32(ScalarClassTable.tableLimit), value % 97 != 0 { continue } // sample the high planes
            if table.classOf(value) != ScalarClass.classify(scalar).rawValue
                || ScalarClassTable.whitespace.contains(value) != scalar.properties.isWhitespace {
                mismatches.append(value)
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).map { "U+" + String($0, radix: 16) })")
    }
}
