import Benchmark
import BenchmarkSupport
import LlamaKit
import LlamaKitCPU

/// One decoder layer of Llama 3.1 8B (hidden 4096, 32/8 heads, FFN 14336) and of 70B (8192, 64/8, 28672)
/// with random weights in Q4_0, Q8_0 and BF16, one decode step at context 0 and at 4096, through the model's
/// own forward pass (see ``LayerDecode``). Reported: wall clock per step and MB/s of layer weights read
/// (compare with KernelBenchmarks' memory bandwidth). `swift run -c release layer-projection` turns the same
/// measurements into full-model projections (Docs/Projections.md).
let benchmarks: @Sendable () -> Void = {
    let threads = BenchmarkEnvironment.threads
    let activations = BenchmarkEnvironment.activations
    let weights = BenchmarkMetric.custom("Weights read (MB/s)", polarity: .prefersLarger, useScalingFactor: false)
    let configuration = Benchmark.Configuration(metrics: [.wallClock, weights, .peakMemoryResident], warmupIterations: 2,
                                                scalingFactor: .one, maxDuration: .seconds(8), maxIterations: 100)
    for shape in [LayerShape.llama31_8B, .llama31_70B] {
        for type in [TensorType.q4_0, .q8_0, .bf16] {
            for context in [0, 4096] {
                nonisolated(unsafe) var layer: LayerDecode?
                let bytes = Double(shape.layerBytes(type))
                Benchmark("\(shape.name) layer \(type), decode at context \(context), \(threads) threads, \(activations)",
                          configuration: configuration, closure: { benchmark in
                    guard let layer else { return }
                    for _ in benchmark.scaledIterations {
                        let start = ContinuousClock.now
                        try layer.step(context: context)
                        benchmark.measurement(weights, Int(bytes / BenchmarkEnvironment.seconds(since: start) / 1e6))
                    }
                }, setup: {
                    layer = try LayerDecode(shape: shape, type: type,
                                            backend: CPUBackend(threads: threads, activationPrecision: activations))
                }, teardown: { layer = nil })
            }
        }
    }
}
