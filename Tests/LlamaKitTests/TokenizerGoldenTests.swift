import Foundation
import Testing
@testable import LlamaKit

/// SmolLM2's tokenizer against reference ids from llama.cpp (cross-checked with Hugging Face `tokenizers`),
/// see `Tests/Fixtures/make_tokenizer_reference.py`.
@Suite struct TokenizerGoldenTests {
    @Test func fixtureCoversEnoughCases() throws {
        let golden = try TokenizerGolden.load()
        #expect(golden.cases.count >= 120)
        #expect(golden.header.model == "SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(golden.cases.contains { $0.text.utf8.count >= 20_000 })
        #expect(golden.cases.contains { $0.text.isEmpty })
    }

    @Test func encodesExactlyLikeTheReference() throws {
        let tokenizer = try SharedTokenizer.get()
        let golden = try TokenizerGolden.load()
        var identical = 0
        for testCase in golden.cases {
            let plain = tokenizer.encode(testCase.text, addBOS: false, parseSpecial: false)
            let special = tokenizer.encode(testCase.text, addBOS: false, parseSpecial: true)
            #expect(plain == testCase.ids, "parseSpecial false, [\(testCase.category)] \(label(testCase.text))")
            #expect(special == testCase.idsWhenParsingSpecial, "parseSpecial true, [\(testCase.category)] \(label(testCase.text))")
            if plain == testCase.ids, special == testCase.idsWhenParsingSpecial { identical += 1 }
        }
        #expect(identical == golden.cases.count, "\(identical) of \(golden.cases.count) cases identical")
    }

    @Test func decodeInvertsEncode() throws {
        let tokenizer = try SharedTokenizer.get()
        // Cases with bytes the vocabulary has no token for cannot round-trip (the references drop them too).
        for testCase in try TokenizerGolden.load().cases where testCase.category != "unencodable" {
            for parseSpecial in [false, true] {
                let ids = tokenizer.encode(testCase.text, addBOS: false, parseSpecial: parseSpecial)
                #expect(try tokenizer.decode(ids) == testCase.text, "parseSpecial \(parseSpecial): \(label(testCase.text))")
            }
        }
    }

    @Test func preTokenizersSplitLikeHuggingFace() throws {
        for testCase in try TokenizerGolden.load().cases {
            for preTokenizer in PreTokenizer.allCases {
                let expected = try #require(testCase.pre[preTokenizer.rawValue])
                #expect(preTokenizer.wordLengths(testCase.text) == expected, "\(preTokenizer) on \(label(testCase.text))")
            }
        }
    }

    @Test func chatPromptsEncodeLikeTheReference() throws {
        let tokenizer = try SharedTokenizer.get()
        for chat in try TokenizerGolden.load().chat {
            #expect(tokenizer.encode(chat.rendered, addBOS: false, parseSpecial: true) == chat.idsSpecial)
        }
    }

    @Test func specialTokensAndMetadata() throws {
        let tokenizer = try SharedTokenizer.get()
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.bosToken == 1)
        #expect(tokenizer.eosToken == 2)
        #expect(tokenizer.unknownToken == 0)
        #expect(tokenizer.addsBOSByDefault == false)
        #expect(tokenizer.preTokenizer == .smollm)
        #expect(tokenizer.endOfTurnTokens == [0, 2])
        #expect(tokenizer.tokenID(for: "<|im_end|>") == 2)
        #expect(tokenizer.tokenID(for: "<|im_start|>") == 1)
        #expect(tokenizer.tokenID(for: "no such token") == nil)
        #expect(tokenizer.kind(of: 1) == .control)
        #expect(tokenizer.kind(of: 6004) == .normal)
        #expect(tokenizer.kind(of: -1) == nil)
        #expect(try tokenizer.tokenText(216) == "Ġ")
        #expect(try tokenizer.tokenBytes(216) == [0x20])
        #expect(try tokenizer.tokenBytes(2) == Array("<|im_end|>".utf8))
    }

    @Test func bosIsAddedOnceOnly() throws {
        let tokenizer = try SharedTokenizer.get()
        #expect(tokenizer.encode("hi", addBOS: true, parseSpecial: false) == [1, 6004])
        #expect(tokenizer.encode("<|im_start|>hi", addBOS: true, parseSpecial: true) == [1, 6004])
        #expect(tokenizer.encode("", addBOS: true, parseSpecial: true) == [1])
        #expect(tokenizer.encode("", addBOS: false, parseSpecial: true) == [])
    }

    @Test func loadsThroughTheGenericEntryPoint() throws {
        let tokenizer = try loadTokenizer(from: TestPaths.openModel())
        #expect(tokenizer.encode("Hello world", addBOS: false, parseSpecial: false) == [19556, 905])
    }

    /// Not a benchmark: a guard against accidental quadratic behaviour, with the rate printed.
    @Test func encodesTheLongDocumentQuickly() throws {
        let tokenizer = try SharedTokenizer.get()
        let golden = try TokenizerGolden.load()
        let document = try #require(golden.cases.first { $0.category == "long" && $0.text.utf8.count >= 20_000 })
        let clock = ContinuousClock()
        var ids: [Int32] = []
        let rounds = 5
        let elapsed = clock.measure {
            for _ in 0 ..< rounds { ids = tokenizer.encode(document.text, addBOS: false, parseSpecial: false) }
        }
        #expect(ids == document.ids)
        let perRound = elapsed / rounds
        print("encode: \(document.text.utf8.count) bytes -> \(ids.count) tokens in \(perRound)")
        #expect(perRound < .seconds(2))
    }
}
