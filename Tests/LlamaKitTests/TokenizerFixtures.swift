import Foundation
import Testing
@testable import LlamaKit

/// The reference data written by `Tests/Fixtures/make_tokenizer_reference.py`.
struct TokenizerGolden: Decodable {
    struct Header: Decodable {
        let model: String
        let golden: String
    }

    struct Case: Decodable {
        let category: String
        let text: String
        /// Reference ids with special tokens not parsed.
        let ids: [Int32]
        /// Reference ids with special tokens parsed; absent when equal to `ids`.
        let idsSpecial: [Int32]?
        /// Piece lengths in Unicode scalars, by pre-tokenizer name.
        let pre: [String: [Int]]

        var idsWhenParsingSpecial: [Int32] { idsSpecial ?? ids }

        enum CodingKeys: String, CodingKey {
            case category, text, ids, pre
            case idsSpecial = "ids_special"
        }
    }

    struct Chat: Decodable {
        let messages: [ChatMessage]
        let addGenerationPrompt: Bool
        let rendered: String
        let idsSpecial: [Int32]

        enum CodingKeys: String, CodingKey {
            case messages, rendered
            case addGenerationPrompt = "add_generation_prompt"
            case idsSpecial = "ids_special"
        }
    }

    let header: Header
    let cases: [Case]
    let chat: [Chat]

    static let path = TestPaths.fixture("tokenizer/smollm2_tokenizer_golden.json")

    static func load() throws -> TokenizerGolden {
        try JSONDecoder().decode(TokenizerGolden.self, from: Data(contentsOf: path))
    }
}

/// The model's tokenizer, loaded once for all tests in the process.
enum SharedTokenizer {
    private static let result: Result<ByteLevelBPETokenizer, any Error> = Result {
        try ByteLevelBPETokenizer.load(from: GGUFFile(path: TestPaths.modelPath))
    }

    /// The tokenizer; fails the calling test with a `make fetch` hint when the model is missing.
    static func get(sourceLocation: SourceLocation = #_sourceLocation) throws -> ByteLevelBPETokenizer {
        try TestPaths.requireModel(sourceLocation: sourceLocation)
        return try result.get()
    }
}

/// A short label for a test case in failure messages.
func label(_ text: String) -> String {
    let prefix = text.unicodeScalars.prefix(40).map { $0.escaped(asASCII: true) }.joined()
    return text.unicodeScalars.count > 40 ? "\"\(prefix)…\" (\(text.utf8.count) bytes)" : "\"\(prefix)\""
}
