import Foundation
import LlamaKit
import Testing

/// The `llama-logits` example end to end: its .npy output against the transformers reference, and its errors.
@Suite("llama-logits")
struct LogitsToolTests {
    static func toolPath() throws -> String { try TestSupport.toolPath("llama-logits") }

    static func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try toolPath())
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("all positions of the long prompt within 1e-3 of transformers")
    func allPositionsMatchReference() throws {
        let cases = try ModelParityTests.logitsCases()
        let long = try #require(cases.first { $0.positions.count >= 32 })
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("logits-\(UUID()).npy").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try Self.run(["--model", TestSupport.modelPath, "--ids", long.ids.map(String.init).joined(separator: ","),
                                   "--all-positions", "--out", out, "--threads", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let logits = try NumPyFile.read(path: out)
        #expect(logits.shape == [long.ids.count, 49152])
        let subset = try TestSupport.npy("smollm2/subset_ids.npy").values.map(Int.init)
        let reference = try TestSupport.npy("smollm2/long_subset.npy")
        let argmax = try TestSupport.npy("smollm2/long_argmax.npy")
        var worst = 0.0
        for (row, position) in long.positions.enumerated() {
            let base = position * 49152
            for (j, id) in subset.enumerated() {
                worst = max(worst, abs(logits.values[base + id] - reference.values[row * subset.count + j]))
            }
            let ours = logits.values[base ..< base + 49152]
            let best = ours.indices.max { ours[$0] < ours[$1] || (ours[$0] == ours[$1] && $0 > $1) }
            #expect(best.map { $0 - base } == Int(argmax.values[row]), "argmax at \(position)")
        }
        #expect(worst < 1e-3, "max abs diff \(worst)")

        // Last position only: shape [vocab].
        let last = try Self.run(["--model", TestSupport.modelPath, "--ids", "504,1463,282", "--out", out])
        #expect(last.status == 0)
        #expect(try NumPyFile.read(path: out).shape == [49152])
    }

    @Test("bad ids give a clear error and a failing exit status")
    func badIDs() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).npy").path
        let outOfRange = try Self.run(["--model", TestSupport.modelPath, "--ids", "1,2,99999", "--out", out])
        #expect(outOfRange.status != 0)
        #expect(outOfRange.stderr.contains("Token id 99999 is outside the vocabulary"))
        let notNumbers = try Self.run(["--model", TestSupport.modelPath, "--ids", "1,two", "--out", out])
        #expect(notNumbers.status != 0)
        #expect(notNumbers.stderr.contains("'two' is not a token id"))
        let missing = try Self.run(["--model", "/nonexistent.gguf", "--ids", "1", "--out", out])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("Cannot open /nonexistent.gguf"))
    }
}
