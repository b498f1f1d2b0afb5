import Foundation
import LlamaKit
import LlamaKitCPU
import LlamaKitTestSupport

/// Paths and shared state for the end-to-end tests.
enum TestSupport {
    static let packageRoot = Fixtures.packageRoot
    static let fixtures = Fixtures.directory
    static var modelPath: String { Fixtures.modelPath }
    typealias MissingModel = Fixtures.MissingFile

    /// One model shared by all tests (loading maps the file; sessions are independent).
    static let shared: Result<LanguageModel, Error> = Result {
        guard FileManager.default.fileExists(atPath: modelPath) else { throw MissingModel(path: modelPath) }
        return try LanguageModel.load(path: modelPath, backend: CPUBackend(threads: 2))
    }

    static func model() throws -> LanguageModel { try shared.get() }

    static func json(_ relativePath: String) throws -> Any { try Fixtures.json(relativePath) }

    static func npy(_ relativePath: String) throws -> NumPyFile.Array { try Fixtures.npy(relativePath) }
}
