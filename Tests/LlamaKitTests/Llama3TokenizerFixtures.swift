import Foundation
import Testing
@testable import LlamaKit

/// The reference data written by `Tests/Fixtures/make_llama3_tokenizer_reference.py`.
///
/// Two references, one per loader:
/// - `tiktoken` / `tiktoken_special`: tiktoken on Meta's `tokenizer.model` with Llama 3's pattern and Llama 3.1's
///   special tokens (special-token texts as ordinary text / allowed). Compared with ``ByteLevelBPETokenizer/loadTiktoken(path:specialTokens:pattern:)``.
/// - `hf` / `hf_special`: Hugging Face `tokenizers` on `tokenizer.json`, which is the Llama 3.2-Vision variant
///   (`ignore_merges: false`, 128005 named `<|step_id|>`, an extra `<|image|>` at 128256). Compared with
///   ``ByteLevelBPETokenizer/loadHuggingFace(path:configPath:)``. Absent keys mean "the tiktoken ids of the same mode".
struct Llama3Golden: Decodable {
    struct Case: Decodable {
        let category: String
        let text: String
        let tiktoken: [Int32]
        let tiktokenSpecial: [Int32]?
        let hf: [Int32]?
        let hfSpecial: [Int32]?

        /// tiktoken's ids: special-token texts allowed (`special`) or ordinary text.
        func tiktokenIDs(special: Bool) -> [Int32] { special ? tiktokenSpecial ?? tiktoken : tiktoken }
        /// `tokenizers`' ids on the 3.2-Vision `tokenizer.json`, in the same two modes.
        func hfIDs(special: Bool) -> [Int32] { special ? hfSpecial ?? tiktokenIDs(special: true) : hf ?? tiktoken }

        enum CodingKeys: String, CodingKey {
            case category, text, tiktoken, hf
            case tiktokenSpecial = "tiktoken_special"
            case hfSpecial = "hf_special"
        }
    }

    let cases: [Case]

    static let path = TestPaths.fixture("tokenizer/llama3_tokenizer_golden.json")

    static let shared: Result<Llama3Golden, any Error> = Result {
        try JSONDecoder().decode(Llama3Golden.self, from: Data(contentsOf: path))
    }

    static func load() throws -> Llama3Golden { try shared.get() }
}

/// Llama 3's tokenizer files, unpacked by `make fetch` into `.models/llama3/` (or `$LLAMAKIT_LLAMA3_DIR`).
enum Llama3Files {
    static var folder: String {
        if let path = ProcessInfo.processInfo.environment["LLAMAKIT_LLAMA3_DIR"], !path.isEmpty { return path }
        return TestPaths.packageRoot.appendingPathComponent(".models/llama3").path
    }

    static var tiktokenPath: String { folder + "/tokenizer.model" }
    static var huggingFacePath: String { folder + "/tokenizer.json" }

    /// Fails the calling test (it does not skip it) when a file is missing.
    static func require(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(FileManager.default.fileExists(atPath: path),
                     "\(path) not found. Run `make fetch` to unpack it.", sourceLocation: sourceLocation)
    }

    private static let tiktokenResult: Result<ByteLevelBPETokenizer, any Error> = Result {
        try ByteLevelBPETokenizer.loadTiktoken(path: tiktokenPath)
    }

    private static let huggingFaceResult: Result<ByteLevelBPETokenizer, any Error> = Result {
        try ByteLevelBPETokenizer.loadHuggingFace(path: huggingFacePath)
    }

    /// Meta's `tokenizer.model`, loaded once per process.
    static func tiktoken(sourceLocation: SourceLocation = #_sourceLocation) throws -> ByteLevelBPETokenizer {
        try require(tiktokenPath, sourceLocation: sourceLocation)
        return try tiktokenResult.get()
    }

    /// The 3.2-Vision `tokenizer.json` (with its `tokenizer_config.json`), loaded once per process.
    static func huggingFace(sourceLocation: SourceLocation = #_sourceLocation) throws -> ByteLevelBPETokenizer {
        try require(huggingFacePath, sourceLocation: sourceLocation)
        return try huggingFaceResult.get()
    }
}
