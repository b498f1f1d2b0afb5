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

    /// An example tool built next to the test bundle (`swift build -c release --build-tests` builds them all).
    static func toolPath(_ name: String) throws -> String {
        let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [buildDirectory, buildDirectory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let fallback = packageRoot.appendingPathComponent(".build/release/\(name)").path
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw MissingModel(path: "\(name) (build it with `swift build -c release --build-tests`)")
        }
        return fallback
    }
}
