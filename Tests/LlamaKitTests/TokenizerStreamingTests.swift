import Testing
@testable import LlamaKit

@Suite struct TokenizerStreamingTests {
    /// Streams every reference case token by token: no piece is ever half a character, and the pieces
    /// add up to the decoded text.
    @Test func streamingEqualsDecodeOnEveryCase() throws {
        let tokenizer = try SharedTokenizer.get()
        var sawSplitCharacter = false
        for testCase in try TokenizerGolden.load().cases {
            let ids = tokenizer.encode(testCase.text, addBOS: false, parseSpecial: true)
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            var pieces: [String] = []
            for id in ids {
                let piece = try stream.append(id)
                if stream.hasPendingBytes { sawSplitCharacter = true }
                pieces.append(piece)
            }
            pieces.append(stream.flush())
            #expect(pieces.joined() == (try tokenizer.decode(ids)), "\(label(testCase.text))")
            // Cases with bytes the vocabulary cannot encode decode to stray continuation bytes (U+FFFD).
            guard testCase.category != "unencodable" else { continue }
            #expect(!pieces.contains { $0.unicodeScalars.contains("\u{FFFD}") }, "\(label(testCase.text))")
            #expect(pieces.joined() == testCase.text, "\(label(testCase.text))")
            #expect(!stream.hasPendingBytes)
        }
        #expect(sawSplitCharacter, "some case should split a character across tokens")
    }

    @Test func emojiSplitAcrossTokensIsHeldBack() throws {
        let tokenizer = try SharedTokenizer.get()
        for text in ["😀", "👍🏽", "東京", "🦙.cpp", "नमस्ते"] {
            let ids = tokenizer.encode(text, addBOS: false, parseSpecial: false)
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            var out = ""
            for id in ids {
                let piece = try stream.append(id)
                // Every piece is whole scalars of the original text, in order.
                #expect(text.unicodeScalars.starts(with: (out + piece).unicodeScalars), "\(label(text)): \(label(out + piece))")
                out += piece
            }
            out += stream.flush()
            #expect(out == text)
        }
    }

    @Test func invalidBytesMatchDecode() throws {
        let tokenizer = try SharedTokenizer.get()
        func byteToken(_ byte: UInt8) throws -> Int32 {
            let id = tokenizer.tokenID(for: String(ByteUnicodeMapping.scalarForByte[Int(byte)]))
            return try #require(id, "no token for byte \(byte)")
        }
        let sequences: [[UInt8]] = [
            [0xE2, 0x82, 0x41],       // truncated € then 'A'
            [0xF0, 0x9F],             // truncated emoji at the end
            [0xE0, 0x80, 0x41],       // overlong: can never complete
            [0x80, 0x80, 0x41],       // stray continuation bytes
            [0xC3, 0xE2, 0x82, 0xAC], // truncated é before a whole €
            [0xED, 0xA0, 0x80, 0x41], // an encoded surrogate
            [0xF4, 0x90, 0x80, 0x80], // past U+10FFFF
            [0xF0, 0x9F, 0x98, 0x80], // a whole emoji, one byte per token
        ]
        for bytes in sequences {
            let ids = try bytes.map(byteToken)
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            var out = try stream.append(contentsOf: ids)
            out += stream.flush()
            #expect(out == (try tokenizer.decode(ids)), "\(bytes)")
        }
    }

    @Test func outOfRangeTokenThrows() throws {
        let tokenizer = try SharedTokenizer.get()
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        #expect(throws: TokenizerError.tokenOutOfRange(id: 49152, vocabularySize: 49152)) { _ = try stream.append(49152) }
    }

    @Test func incompleteSuffixLength() {
        #expect(StreamingDetokenizer.incompleteSuffixLength([]) == 0)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0x41]) == 0)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0x41, 0xC3]) == 1)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xC3, 0xA9]) == 0)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xE2, 0x82]) == 2)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xF0, 0x9F, 0x98]) == 3)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xF0, 0x9F, 0x98, 0x80]) == 0)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xE0, 0x80]) == 0)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xED, 0xA0]) == 0)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xF4, 0x90]) == 0)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0xFF]) == 0)
        #expect(StreamingDetokenizer.incompleteSuffixLength([0x80, 0x80, 0x80]) == 0)
    }
}
