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
            blackHole(try await chat.reply(to: [.user(question)], options: GenerationOptions(maxTokens: 1, sampling: .greedy)))
        }
    }, setup: { model = try LanguageModel.load(path: path, backend: CPUBackend(threads: threads)) }, teardown: { model = nil })

    Benchmark("Chat reply of up to 128 tokens, SmolLM2, \(threads) threads",
              configuration: Benchmark.Configuration(metrics: [.wallClock, tokensPerSecond], warmupIterations: 1,
                                                     scalingFactor: .one, maxDuration: .seconds(15), maxIterations: 10),
              closure: { benchmark in
        guard let model else { return }
        for _ in benchmark.scaledIterations {
            let chat = try ChatSession(model: model, contextLength: 512)
            let reply = try await chat.reply(to: [.user(question)], options: GenerationOptions(maxTokens: 128, sampling: .greedy))
            benchmark.measurement(tokensPerSecond, Int(reply.generation.stats.generationTokensPerSecond))
        }
    }, setup: { model = try LanguageModel.load(path: path, backend: CPUBackend(threads: threads)) }, teardown: { model = nil })

    // The engine: N concurrent requests of 64 greedy tokens from different prompts, batched into one forward
    // pass per step; the metric is the aggregate generation rate (all requests' tokens over the wall time).
    for streams in [1, 4, 8, 16] {
        Benchmark("Engine, \(streams) concurrent requests of 64 tokens, SmolLM2, \(threads) threads",
                  configuration: Benchmark.Configuration(metrics: [.wallClock, tokensPerSecond], warmupIterations: 1,
                                                         scalingFactor: .one, maxDuration: .seconds(20), maxIterations: 5),
                  closure: { benchmark in
            guard let model else { return }
            let engine = try InferenceEngine(model: model, configuration: EngineConfiguration(maxSequences: 16, contextLength: 512))
            let options = GenerationOptions(maxTokens: 64, sampling: .greedy, extraStopTokens: [])
            for _ in benchmark.scaledIterations {
                let start = ContinuousClock.now
                let tokens = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0 ..< streams {
                        let prompt = model.tokenizer.encode("Story \(index): once upon a time,", addBOS: false, parseSpecial: false)
                        group.addTask { try await engine.complete(prompt: prompt, options: options).tokens.count }
                    }
                    return try await group.reduce(0, +)
                }
                let elapsed = (ContinuousClock.now - start).components
                let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
                benchmark.measurement(tokensPerSecond, Int(Double(tokens) / max(seconds, 1e-9)))
            }
        }, setup: { model = try LanguageModel.load(path: path, backend: CPUBackend(threads: threads)) }, teardown: { model = nil })
    }
}
