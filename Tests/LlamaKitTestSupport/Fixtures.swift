import Foundation
import LlamaKit

/// Where the test fixtures and the default model live, shared by the test targets.
public enum Fixtures {
    /// The package root, derived from this file's location.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let directory = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// The default model: `$LLAMAKIT_MODEL`, else `.models/SmolLM2-135M-Instruct.Q4_1.gguf` (from `make fetch`).
    public static var modelPath: String {
        ProcessInfo.processInfo.environment["LLAMAKIT_MODEL"]
            ?? packageRoot.appendingPathComponent(".models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }

    /// A missing model fails the tests with instructions; it is never silently skipped.
    public struct MissingFile: Error, CustomStringConvertible {
        public let path: String
        public init(path: String) { self.path = path }
        public var description: String { "File not found at \(path). Run `make fetch` (or `make test`) first." }
    }

    /// A fixture that does not have the expected layout.
    public struct Malformed: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "Malformed fixture: \(message)" }
    }

    public static func json(_ relativePath: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(relativePath)))
    }

    public static func npy(_ relativePath: String) throws -> NumPyFile.Array {
        try NumPyFile.read(path: directory.appendingPathComponent(relativePath).path)
    }

    /// One logits case of `smollm2/cases.json` (see Tests/Fixtures/smollm2/README.md).
    public struct LogitsCase: Sendable {
        public let name: String
        public let ids: [Int32]
        public let positions: [Int]
        public let filePrefix: String
        public let rowOffset: Int
    }

    /// The logits cases recorded by Tests/Fixtures/make_reference.py.
    public static func logitsCases() throws -> [LogitsCase] {
        guard let root = try json("smollm2/cases.json") as? [String: Any], let cases = root["cases"] as? [[String: Any]] else {
            throw Malformed(message: "smollm2/cases.json has no cases")
        }
        return try cases.map { c in
            guard let name = c["name"] as? String, let ids = c["ids"] as? [Int], let positions = c["positions"] as? [Int],
                  let prefix = c["file_prefix"] as? String, let offset = c["row_offset"] as? Int
            else { throw Malformed(message: "a case in smollm2/cases.json lacks name/ids/positions/file_prefix/row_offset") }
            return LogitsCase(name: name, ids: ids.map(Int32.init), positions: positions, filePrefix: prefix, rowOffset: offset)
        }
    }
}
