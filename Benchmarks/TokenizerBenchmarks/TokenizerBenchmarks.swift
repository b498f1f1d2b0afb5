import Benchmark
import Foundation
import LlamaKit

/// Llama 3 encoding throughput, single-threaded, on the ~10 MB multilingual text of ``BenchmarkText``, for
/// each way of loading the tokenizer; and the time to load each file. `Benchmarks/tokenizer_bench.py` times
/// tiktoken and Hugging Face `tokenizers` on the same text.
///
/// Needs `make fetch` (for `.models/llama3/`). Encoding rate is reported as the custom metric
/// "Encode (KB/s)" next to the wall-clock time of one pass over the 10 MB.
let benchmarks: @Sendable () -> Void = {
    let encodeConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, .custom("Encode (KB/s)", polarity: .prefersLarger, useScalingFactor: false)],
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(20),
        maxIterations: 10
    )
    let loadConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(20),
        maxIterations: 10
    )

    let folder = BenchmarkText.llama3Folder
    let sources: [(name: String, path: String)] = [
        ("tokenizer.model (tiktoken)", folder + "/tokenizer.model"),
        ("tokenizer.json (3.2-Vision)", folder + "/tokenizer.json"),
    ]

    for source in sources {
        Benchmark("Load \(source.name)", configuration: loadConfiguration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try loadTokenizer(path: source.path))
            }
        }

        nonisolated(unsafe) var text = ""
        nonisolated(unsafe) var tokenizer: (any Tokenizer)?
        Benchmark("Encode 10 MB, \(source.name)", configuration: encodeConfiguration, closure: { benchmark in
            guard let tokenizer else { return }
            let bytes = text.utf8.count
            for _ in benchmark.scaledIterations {
                let start = ContinuousClock.now
                let ids = tokenizer.encode(text, addBOS: false, parseSpecial: false)
                let elapsed = ContinuousClock.now - start
                blackHole(ids)
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                benchmark.measurement(.custom("Encode (KB/s)", polarity: .prefersLarger, useScalingFactor: false),
                                      Int(Double(bytes) / seconds / 1000))
            }
        }, setup: {
            text = try BenchmarkText.make()
            tokenizer = try loadTokenizer(path: source.path)
        })
    }
}
