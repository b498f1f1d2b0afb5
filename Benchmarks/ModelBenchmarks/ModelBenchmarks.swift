import Benchmark
import BenchmarkSupport
import Foundation
import LlamaKit
import LlamaKitCPU

/// The default model end to end (needs `make fetch`): load time, time to first token of a chat reply, and
/// decode speed. `llama-bench` measures pp/tg the way llama.cpp does; this suite adds what a chat user waits for.
let benchmarks: @Sendable () -> Void = {
    let threads = BenchmarkEnvironment.threads
    let path = BenchmarkEnvironment.smolLM2
    let tokensPerSecond = BenchmarkMetric.custom("Tokens/s", polarity: .prefersLarger, useScalingFactor: false)
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .peakMemoryResident], warmupIterations: 1,
                                                scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 20)

    Benchmark("Load SmolLM2-135M-Instruct Q4_1 (page cache warm)", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try LanguageModel.load(path: path, backend: CPUBackend(threads: threads)))
        }
    }

    nonisolated(unsafe) var model: LanguageModel?
    let question = "Explain in two sentences why the sky is blue, then name three colours of a rainbow."
    Benchmark("Time to first token, SmolLM2 chat reply, \(threads) threads",
              configuration: configuration, closure: { benchmark in
        guard let model else { return }
        for _ in benchmark.scaledIterations {
            let chat = try ChatSession(model: model, contextLength: 512)
            blackHole(try chat.reply(to: [.user(question)], options: GenerationOptions(maxTokens: 1, sampling: .greedy)))
        }
    }, setup: { model = try LanguageModel.load(path: path, backend: CPUBackend(threads: threads)) }, teardown: { model = nil })

    Benchmark("Chat reply of up to 128 tokens, SmolLM2, \(threads) threads",
              configuration: Benchmark.Configuration(metrics: [.wallClock, tokensPerSecond], warmupIterations: 1,
                                                     scalingFactor: .one, maxDuration: .seconds(15), maxIterations: 10),
              closure: { benchmark in
        guard let model else { return }
        for _ in benchmark.scaledIterations {
            let chat = try ChatSession(model: model, contextLength: 512)
            let reply = try chat.reply(to: [.user(question)], options: GenerationOptions(maxTokens: 128, sampling: .greedy))
            benchmark.measurement(tokensPerSecond, Int(reply.generation.stats.generationTokensPerSecond))
        }
    }, setup: { model = try LanguageModel.load(path: path, backend: CPUBackend(threads: threads)) }, teardown: { model = nil })
}
