import Foundation
import Testing
@testable import LlamaKit

/// Where tests find the model and fixtures.
enum TestPaths {
    /// The package root, three levels above this file (`Tests/LlamaKitTests/TestPaths.swift`).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The default model: `$LLAMAKIT_MODEL`, or `<package root>/.models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    static var modelPath: String {
        if let path = ProcessInfo.processInfo.environment["LLAMAKIT_MODEL"], !path.isEmpty { return path }
        return packageRoot.appendingPathComponent(".models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }

    /// A file under `Tests/Fixtures`.
    static func fixture(_ relativePath: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath)
    }

    /// Fails the current test (it does not skip it) when the model file is missing.
    static func requireModel(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(
            FileManager.default.fileExists(atPath: modelPath),
            "Model not found at \(modelPath). Run `make fetch` to download it, or set LLAMAKIT_MODEL.",
            sourceLocation: sourceLocation
        )
    }

    /// Opens the default model, failing the test when the file is missing.
    static func openModel(sourceLocation: SourceLocation = #_sourceLocation) throws -> GGUFFile {
        try requireModel(sourceLocation: sourceLocation)
        return try GGUFFile(path: modelPath)
    }
}
