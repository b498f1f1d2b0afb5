import Foundation

/// The model the examples use when none is named: SmolLM2-135M-Instruct (Q4_1), fetched by `make fetch`.
public enum DefaultModel {
    public static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// `$LLAMAKIT_MODEL` if set, else `.models/<fileName>` in the current directory or any parent
    /// (so the examples work from anywhere inside a checkout).
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["LLAMAKIT_MODEL"], !explicit.isEmpty { return explicit }
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0 ..< 16 {
            let candidate = directory.appendingPathComponent(".models").appendingPathComponent(fileName).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        return ".models/" + fileName
    }
}
