import Foundation
import Testing

/// `llama-bench`'s interface (not its speed: unit tests never time anything): llama.cpp's comma-separated
/// lists, one JSON record per (threads, test) with llama.cpp's field names, and clear errors.
@Suite("llama-bench")
struct BenchToolTests {
    static func run(_ arguments: [String], tool: String = "llama-bench") throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestSupport.toolPath(tool))
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

/// `llama-batched-bench`'s interface: llama.cpp's flags, its JSONL fields in its order, N_KV as it counts it.
@Suite("llama-batched-bench")
struct BatchedBenchToolTests {
    static let fields = ["n_kv_max", "n_batch", "n_ubatch", "flash_attn", "is_pp_shared", "n_gpu_layers", "n_threads",
                         "n_threads_batch", "pp", "tg", "pl", "n_kv", "t_pp", "speed_pp", "t_tg", "speed_tg", "t", "speed"]

    @Test(arguments: [false, true])
    func jsonlRowsWithLlamaCppFields(shared: Bool) throws {
        let result = try BenchToolTests.run(["-m", TestSupport.modelPath, "-c", "256", "-b", "64", "-ub", "32",
                                             "-npp", "8,40", "-ntg", "3", "-npl", "1,3", "-t", "2",
                                             "--output-format", "jsonl"] + (shared ? ["-pps"] : []),
                                            tool: "llama-batched-bench")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 4)
        var combinations: [String] = []
        for line in lines {
            // Field order as llama.cpp prints it.
            let positions = Self.fields.map { line.range(of: "\"\($0)\":")?.lowerBound }
            #expect(positions.allSatisfy { $0 != nil }, "missing fields in \(line)")
            #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "field order in \(line)")
            let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let (pp, tg, pl) = (row["pp"] as? Int ?? -1, row["tg"] as? Int ?? -1, row["pl"] as? Int ?? -1)
            combinations.append("\(pp)/\(tg)/\(pl)")
            #expect(row["n_kv"] as? Int == (shared ? pp + pl * tg : pl * (pp + tg)))
            #expect(row["is_pp_shared"] as? Int == (shared ? 1 : 0))
            let (tPP, tTG) = (row["t_pp"] as? Double ?? 0, row["t_tg"] as? Double ?? 0)
            #expect(tPP > 0 && tTG > 0)
            let speedTG = try #require(row["speed_tg"] as? Double)
            #expect(abs(speedTG - Double(pl * tg) / tTG) <= 1e-3 * speedTG)
        }
        #expect(combinations == ["8/3/1", "8/3/3", "40/3/1", "40/3/3"])
    }

    @Test(arguments: [["-npl", "0"], ["-npp", "x"], ["--output-format", "csv"], ["-ub", "0"], ["--backend", "tpu"]])
    func badArgumentsAreRejected(arguments: [String]) throws {
        let result = try BenchToolTests.run(["-m", TestSupport.modelPath] + arguments, tool: "llama-batched-bench")
        #expect(result.status != 0)
        #expect(!result.stderr.isEmpty)
    }
}
