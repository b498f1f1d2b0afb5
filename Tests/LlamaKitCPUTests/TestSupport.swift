import Foundation
import LlamaKit
import LlamaKitCPU

/// Paths and shared state for the end-to-end tests.
enum TestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// The default model; a missing file fails the tests with instructions (it is never silently skipped).
    static var modelPath: String {
        ProcessInfo.processInfo.environment["LLAMAKIT_MODEL"]
            ?? packageRoot.appendingPathComponent(".models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }

    struct MissingModel: Error, CustomStringConvertible {
        let path: String
        var description: String { "Model file not found at \(path). Run `make fetch` (or `make test`) first." }
    }

    /// One model shared by all tests (loading maps the file; sessions are independent).
    static let shared: Result<LanguageModel, Error> = Result {
        guard FileManager.default.fileExists(atPath: modelPath) else { throw MissingModel(path: modelPath) }
        return try LanguageModel.load(path: modelPath, backend: CPUBackend(threads: 2))
    }

    static func model() throws -> LanguageModel { try shared.get() }

    static func json(_ relativePath: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent(relativePath)))
    }

    static func npy(_ relativePath: String) throws -> NumPyFile.Array {
        try NumPyFile.read(path: fixtures.appendingPathComponent(relativePath).path)
    }
}
