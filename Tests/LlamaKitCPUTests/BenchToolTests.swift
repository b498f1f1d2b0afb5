import Foundation
import Testing

/// `llama-bench`'s interface (not its speed: unit tests never time anything): llama.cpp's comma-separated
/// lists, one JSON record per (threads, test) with llama.cpp's field names, and clear errors.
@Suite("llama-bench")
struct BenchToolTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestSupport.toolPath("llama-bench"))
        process.arguments = arguments
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data, String(decoding: message, as: UTF8.self))
    }

    @Test("-p 8,16 -n 4 -t 1,2 -o json gives six records with llama.cpp's fields")
    func jsonRecordsForEveryThreadCountAndTest() throws {
        let result = try Self.run(["-m", TestSupport.modelPath, "-p", "8,16", "-n", "4", "-t", "1,2", "-r", "2", "-o", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let records = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])
        let tests = records.map { "\($0["n_threads"] ?? "?")/\($0["n_prompt"] ?? "?")/\($0["n_gen"] ?? "?")" }
        #expect(tests == ["1/8/0", "1/16/0", "1/0/4", "2/8/0", "2/16/0", "2/0/4"])
        for record in records {
            for field in ["n_prompt", "n_gen", "n_threads", "avg_ts", "stddev_ts", "backend", "model_type", "samples_ts"] {
                #expect(record[field] != nil, "missing \(field)")
            }
            #expect((record["avg_ts"] as? Double ?? 0) > 0)
            #expect((record["samples_ts"] as? [Double])?.count == 2)
            #expect(record["backend"] as? String == "cpu")
        }
    }

    @Test(arguments: [["-t", "0"], ["-t", "1,x"], ["-p", "-1"], ["-o", "csv"], ["--backend", "tpu"]])
    func badArgumentsAreRejected(arguments: [String]) throws {
        let result = try Self.run(["-m", TestSupport.modelPath, "-r", "1"] + arguments)
        #expect(result.status != 0)
        #expect(!result.stderr.isEmpty)
    }
}
