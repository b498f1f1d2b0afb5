import ArgumentParser
import Foundation
import LlamaKit
import LlamaKitBackends
import LlamaKitCPU

extension CPUBackend.ActivationPrecision: ExpressibleByArgument {}

typealias Counts = CountList

extension CountList: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public var defaultValueDescription: String { text }
}

/// Measures prompt processing (pp) and token generation (tg) speed the way llama.cpp's llama-bench does:
/// pp: one batch of `-p` tokens into an empty cache; tg: `-n` single-token decode steps from an empty cache.
/// Each test runs once as warm-up, then `-r` times; reported as mean ± standard deviation tokens/s.
@main
struct LlamaBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "llama-bench", abstract: "Benchmark prompt and generation speed.")

    @Option(name: [.short, .long], help: "Path to a GGUF model or a checkpoint folder.")
    var model: String = DefaultModel.path
    @Option(name: [.customShort("p"), .long], help: "Prompt tokens, comma-separated for several tests (0 to skip).")
    var nPrompt = Counts([512])
    @Option(name: [.customShort("n"), .long], help: "Generated tokens, comma-separated for several tests (0 to skip).")
    var nGen = Counts([128])
    @Option(name: [.customShort("t"), .long], help: "Threads, comma-separated to run every test at each count.")
    var threads = Counts([ProcessInfo.processInfo.activeProcessorCount])
    @Option(name: [.customShort("r"), .long], help: "Repetitions.")
    var repetitions: Int = 5
    @Option(name: [.customShort("b"), .long], help: "Batch size for prompt processing.")
    var batch: Int = 512
    @Option(help: "Compute backend: cpu or opencl.")
    var backend: String = "cpu"
    @Option(help: "Activation precision on the CPU: float32 (exact) or int8 (approximate, faster; decode and prompt batches).")
    var activations: CPUBackend.ActivationPrecision = .float32
    @Option(help: "OpenCL device index (default: the first GPU); `llama-cli --list-devices` lists them.")
    var device: Int?
    @Option(name: [.customShort("o"), .long], help: "Output format: md or json.")
    var output: String = "md"

    struct Record: Encodable {
        let model_type: String
        let backend: String
        let n_threads: Int
        let n_prompt: Int
        let n_gen: Int
        let avg_ts: Double
        let stddev_ts: Double
        let samples_ts: [Double]
    }

    mutating func run() throws {
        guard BackendChoice.names.contains(backend) else {
            throw ValidationError("Unknown backend '\(backend)' (available: \(BackendChoice.names.joined(separator: ", "))).")
        }
        guard ["md", "json"].contains(output) else { throw ValidationError("-o must be md or json.") }
        guard repetitions > 0, batch > 0, nPrompt.values.allSatisfy({ $0 >= 0 }), nGen.values.allSatisfy({ $0 >= 0 }),
              threads.values.allSatisfy({ $0 > 0 })
        else { throw ValidationError("-r, -b and -t must be positive; -p and -n not negative.") }
        var records: [Record] = []
        for threadCount in threads.values {
            records += try benchmark(threads: threadCount)
        }
        if output == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(records), as: UTF8.self))
        } else {
            print("| model | backend | threads | test | t/s |")
            print("| --- | --- | ---: | ---: | ---: |")
            for r in records {
                let test = r.n_prompt > 0 ? "pp\(r.n_prompt)" : "tg\(r.n_gen)"
                print("| \(r.model_type) | \(r.backend) | \(r.n_threads) | \(test) | \(String(format: "%.2f ± %.2f", r.avg_ts, r.stddev_ts)) |")
            }
        }
    }

    /// Every pp and tg test at one thread count.
    private func benchmark(threads: Int) throws -> [Record] {
        let computeBackend = try BackendChoice.make(name: backend, device: device, threads: threads, cpuActivations: activations)
        let network: LlamaModel
        let typeName: String
        if CheckpointModel.isFolder(model) {
            // A Hugging Face or Meta checkpoint folder: benchmarks work on token ids, no tokenizer needed.
            network = try LlamaModel.load(folder: model, backend: computeBackend)
            typeName = URL(fileURLWithPath: model).lastPathComponent + " (folder)"
        } else {
            let gguf = try GGUFFile(path: model)
            network = try LlamaModel(gguf: gguf, backend: computeBackend)
            typeName = (gguf.metadata["general.name"]?.string ?? "llama") + " " + (gguf.info("blk.0.ffn_up.weight")?.type?.description ?? "?")
        }
        let c = network.configuration
        // Deterministic token ids spread over the vocabulary (content does not change the cost).
        var generator = SeededGenerator(seed: 1)
        let longestPrompt = max(nPrompt.values.max() ?? 0, 1)
        let prompt = (0 ..< longestPrompt).map { _ in Int32(generator.next() % UInt64(c.vocabularySize)) }
        let state = try network.makeState(contextLength: max(longestPrompt, (nGen.values.max() ?? 0) + 1),
                                          batchCapacity: batch)
        var records: [Record] = []
        for n in nPrompt.values where n > 0 {
            let samples = try measure {
                state.truncate(to: 0)
                _ = try network.forward(Array(prompt[..<n]), state: state)
                return n
            }
            records.append(record(typeName, samples, threads: threads, nPrompt: n, nGen: 0))
        }
        for n in nGen.values where n > 0 {
            let samples = try measure {
                state.truncate(to: 0)
                var token = prompt[0]
                for _ in 0 ..< n {
                    let logits = try network.forward([token], state: state)
                    token = Sampler.argmax(logits)
                }
                return n
            }
            records.append(record(typeName, samples, threads: threads, nPrompt: 0, nGen: n))
        }
        return records
    }

    private func measure(_ body: () throws -> Int) throws -> [Double] {
        _ = try body()  // warm-up: page in the weights, start the threads
        return try (0 ..< repetitions).map { _ in
            let start = DispatchTime.now()
            let tokens = try body()
            return Double(tokens) / (Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
        }
    }

    private func record(_ type: String, _ samples: [Double], threads: Int, nPrompt: Int, nGen: Int) -> Record {
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.count > 1 ? samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count - 1) : 0
        return Record(model_type: type, backend: backend, n_threads: threads, n_prompt: nPrompt, n_gen: nGen,
                      avg_ts: mean, stddev_ts: variance.squareRoot(), samples_ts: samples)
    }
}
