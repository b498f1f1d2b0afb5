import Foundation
import Testing
@testable import LlamaKit

/// Llama 3's tokenizer from Meta's `tokenizer.model` (against tiktoken) and from the Llama 3.2-Vision
/// `tokenizer.json` (against Hugging Face `tokenizers`), on the corpus of
/// `Tests/Fixtures/make_llama3_tokenizer_reference.py`. See ``Llama3Golden`` for which reference is which.
@Suite struct TokenizerLlama3Tests {
    static let languages = ["english", "german", "french", "italian", "portuguese", "hindi", "spanish", "thai"]

    @Test func corpusCoversTheIssue() throws {
        let golden = try Llama3Golden.load()
        #expect(golden.cases.count >= 200)
        let categories = Set(golden.cases.map(\.category))
        for required in Self.languages + ["code", "numbers", "whitespace", "crlf", "emoji", "combining", "special-literal", "long", "repeated"] {
            #expect(categories.contains(required), "no \(required) cases")
        }
        #expect(golden.cases.contains { $0.category == "long" && $0.text.utf8.count >= 20_000 })
        #expect(golden.cases.contains { $0.category == "repeated" && $0.text.unicodeScalars.count == 5_000 })
        #expect(golden.cases.contains { $0.text.contains("\r\n") })
        #expect(golden.cases.contains { $0.text.contains("<|eot_id|>") && $0.tiktokenSpecial != nil })
    }

    @Test func tiktokenLoaderMatchesTiktoken() throws {
        let identical = try expectIdentical(try Llama3Files.tiktoken(), reference: "tiktoken") { $0.tiktokenIDs(special: $1) }
        print("tokenizer.model vs tiktoken: \(identical.count) of \(identical.total) cases identical in both modes")
    }

    @Test func huggingFaceLoaderMatchesTokenizers() throws {
        let tokenizer = try Llama3Files.huggingFace()
        #expect(tokenizer.ignoresMerges == false, "the 3.2-Vision tokenizer.json says ignore_merges: false")
        let identical = try expectIdentical(tokenizer, reference: "tokenizers") { $0.hfIDs(special: $1) }
        print("tokenizer.json vs tokenizers: \(identical.count) of \(identical.total) cases identical in both modes")
    }

    /// Encodes every golden case with and without special-token parsing, expects `expected`'s ids for each,
    /// and expects every case to be identical in both modes.
    private func expectIdentical(_ tokenizer: ByteLevelBPETokenizer, reference: String,
                                 expected: (Llama3Golden.Case, Bool) -> [Int32]) throws -> (count: Int, total: Int) {
        let golden = try Llama3Golden.load()
        var identical = 0
        for testCase in golden.cases {
            var same = true
            for special in [false, true] {
                let ids = tokenizer.encode(testCase.text, addBOS: false, parseSpecial: special)
                #expect(ids == expected(testCase, special), "\(reference), special \(special), [\(testCase.category)] \(label(testCase.text))")
                same = same && ids == expected(testCase, special)
            }
            if same { identical += 1 }
        }
        #expect(identical == golden.cases.count)
        return (identical, golden.cases.count)
    }

    /// The same vocabulary through the GGUF loader (`tokenizer.ggml.pre = "llama-bpe"`, which ignores merges
    /// as llama.cpp does) gives tiktoken's ids.
    @Test func ggufLayoutMatchesTiktoken() throws {
        try Llama3Files.require(Llama3Files.huggingFacePath)
        let root = try TokenizerJSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: Llama3Files.huggingFacePath))), file: "tokenizer.json")
        let vocab = try #require(root["model"]?["vocab"]?.object)
        var tokens = [String](repeating: "", count: 128_256)
        for (text, id) in zip(vocab.keys, vocab.values) { tokens[try #require(id.int)] = text }
        var kinds = [TokenKind](repeating: .normal, count: 128_256)
        for (offset, name) in ByteLevelBPETokenizer.llama31SpecialTokenNames.enumerated() {
            tokens[128_000 + offset] = name
            kinds[128_000 + offset] = .control
        }
        let merges = try #require(root["model"]?["merges"]?.array).map { merge -> String in
            if let text = merge.string { return text }
            return (merge.array ?? []).compactMap(\.string).joined(separator: " ")
        }
        let metadata: [String: GGUFValue] = [
            "tokenizer.ggml.model": .string("gpt2"),
            "tokenizer.ggml.pre": .string("llama-bpe"),
            "tokenizer.ggml.tokens": .array(tokens.map { .string($0) }),
            "tokenizer.ggml.token_type": .array(kinds.map { .int32(Int32($0.rawValue)) }),
            "tokenizer.ggml.merges": .array(merges.map { .string($0) }),
            "tokenizer.ggml.bos_token_id": .uint32(128_000),
            "tokenizer.ggml.eos_token_id": .uint32(128_009),
        ]
        let tokenizer = try ByteLevelBPETokenizer.load(metadata: metadata)
        for testCase in try Llama3Golden.load().cases {
            for special in [false, true] {
                #expect(tokenizer.encode(testCase.text, addBOS: false, parseSpecial: special) == testCase.tiktokenIDs(special: special),
                        "special \(special), [\(testCase.category)] \(label(testCase.text))")
            }
        }
    }

    @Test func decodeInvertsEncode() throws {
        let tokenizers = [try Llama3Files.tiktoken(), try Llama3Files.huggingFace()]
        for testCase in try Llama3Golden.load().cases {
            for tokenizer in tokenizers {
                for special in [false, true] {
                    let ids = tokenizer.encode(testCase.text, addBOS: false, parseSpecial: special)
                    #expect(try tokenizer.decode(ids) == testCase.text, "special \(special): \(label(testCase.text))")
                }
            }
        }
    }

    @Test func llama31SpecialTokens() throws {
        let tokenizer = try Llama3Files.tiktoken()
        #expect(tokenizer.vocabularySize == 128_256)
        let names = ByteLevelBPETokenizer.llama31SpecialTokenNames
        #expect(names.count == 256)
        let expected: [Int32: String] = [
            128_000: "<|begin_of_text|>", 128_001: "<|end_of_text|>", 128_002: "<|reserved_special_token_0|>",
            128_003: "<|reserved_special_token_1|>", 128_004: "<|finetune_right_pad_id|>",
            128_005: "<|reserved_special_token_2|>", 128_006: "<|start_header_id|>", 128_007: "<|end_header_id|>",
            128_008: "<|eom_id|>", 128_009: "<|eot_id|>", 128_010: "<|python_tag|>",
            128_011: "<|reserved_special_token_3|>", 128_255: "<|reserved_special_token_247|>",
        ]
        for (id, name) in expected {
            #expect(try tokenizer.tokenText(id) == name)
            #expect(tokenizer.tokenID(for: name) == id)
            #expect(tokenizer.kind(of: id) == .control)
        }
        #expect(tokenizer.bosToken == 128_000)
        #expect(tokenizer.eosToken == 128_001)
        #expect(tokenizer.addsBOSByDefault)
        #expect(tokenizer.endOfTurnTokens == [128_001, 128_008, 128_009])
        #expect(tokenizer.ignoresMerges)
        #expect(tokenizer.preTokenizer == .llama3)
        #expect(tokenizer.tokenID(for: "Ġthe") == 279)
        #expect(try tokenizer.tokenText(279) == "Ġthe")
        #expect(try tokenizer.tokenBytes(279) == Array(" the".utf8))
    }

    @Test func visionTokenizerJSONSpecialTokens() throws {
        let tokenizer = try Llama3Files.huggingFace()
        #expect(tokenizer.vocabularySize == 128_257)
        #expect(try tokenizer.tokenText(128_005) == "<|step_id|>")
        #expect(try tokenizer.tokenText(128_256) == "<|image|>")
        #expect(tokenizer.bosToken == 128_000)
        #expect(tokenizer.eosToken == 128_001)
        #expect(tokenizer.addsBOSByDefault)
        #expect(tokenizer.endOfTurnTokens == [128_001, 128_008, 128_009])
        #expect(tokenizer.preTokenizer == .llama3)
        #expect(tokenizer.chatTemplateSource == nil, "this tokenizer_config.json has no chat_template")
    }

    @Test func bosAndSpecialParsing() throws {
        for tokenizer in [try Llama3Files.tiktoken(), try Llama3Files.huggingFace()] {
            #expect(tokenizer.encode("Hello", addBOS: true, parseSpecial: false) == [128_000, 9906])
            #expect(tokenizer.encode("<|begin_of_text|>Hello", addBOS: true, parseSpecial: true) == [128_000, 9906])
            #expect(tokenizer.encode("", addBOS: true, parseSpecial: false) == [128_000])
            #expect(tokenizer.encode("", addBOS: false, parseSpecial: true) == [])
            // Text that merely contains a special token's text is ordinary text unless parsing is asked for.
            #expect(tokenizer.encode("<|eot_id|>", addBOS: false, parseSpecial: true) == [128_009])
            #expect(!tokenizer.encode("<|eot_id|>", addBOS: false, parseSpecial: false).contains(128_009))
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            let ids = tokenizer.encode("Grüße 👩‍💻 नमस्ते", addBOS: false, parseSpecial: false)
            var text = ""
            for id in ids { text += try stream.append(id) }
            #expect(text + stream.flush() == "Grüße 👩‍💻 नमस्ते")
        }
    }

    /// The general regex engine and the hand-written Llama 3 scanner cut the corpus identically (the pattern
    /// is wrapped in a group so the pipeline does not recognise it and take the scanner).
    @Test func regexEngineAgreesWithScanner() throws {
        let regex = try PreTokenizerPipeline(steps: [.split(pattern: "(?:" + PreTokenizer.llama3Pattern + ")", behavior: .isolated, invert: false)])
        let gpt2Regex = try PreTokenizerPipeline(steps: [.split(pattern: "(?:" + PreTokenizer.gpt2Pattern + ")", behavior: .isolated, invert: false)])
        #expect(regex.singleScanner == nil)
        for testCase in try Llama3Golden.load().cases where testCase.text.utf8.count < 2_000 {
            #expect(regex.words(testCase.text) == PreTokenizerPipeline(.llama3).words(testCase.text), "\(label(testCase.text))")
            #expect(gpt2Regex.words(testCase.text) == PreTokenizerPipeline(.gpt2).words(testCase.text), "\(label(testCase.text))")
        }
    }

    @Test func loadsThroughTheGenericEntryPoint() throws {
        try Llama3Files.require(Llama3Files.huggingFacePath)
        let folder = try loadTokenizer(path: Llama3Files.folder)
        #expect(folder.vocabularySize == 128_257, "a folder prefers tokenizer.json")
        let model = try loadTokenizer(path: Llama3Files.tiktokenPath)
        #expect(model.vocabularySize == 128_256)
        #expect(try resolveTokenizerPath(Llama3Files.folder).format == .huggingFace)
        #expect(try resolveTokenizerPath(TestPaths.modelPath).format == .gguf)
        let gguf = try loadTokenizer(path: TestPaths.modelPath)
        #expect(gguf.encode("Hello world", addBOS: false, parseSpecial: false) == [19556, 905])
    }

    /// Not a benchmark (debug builds are slow): the load times are printed, and must stay far from quadratic.
    @Test func loadTimes() throws {
        try Llama3Files.require(Llama3Files.huggingFacePath)
        let clock = ContinuousClock()
        let json = try clock.measure { _ = try ByteLevelBPETokenizer.loadHuggingFace(path: Llama3Files.huggingFacePath) }
        let model = try clock.measure { _ = try ByteLevelBPETokenizer.loadTiktoken(path: Llama3Files.tiktokenPath) }
        print("load tokenizer.json: \(json), tokenizer.model: \(model)")
        #expect(json < .seconds(10) && model < .seconds(10))
    }
}
