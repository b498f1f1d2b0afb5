import Benchmark
import BenchmarkSupport
import LlamaKit
import LlamaKitCPU

/// The CPU backend's building blocks, each with the unit it is judged by:
/// - memory bandwidth (STREAM-style loops over 1 GiB), the bound every decode number is compared with;
/// - decode matmul (one activation row) per weight type on an 8B FFN-sized matrix (14336 × 4096), as MB/s of
///   weights read: decode is bound by memory, so this says how close a kernel gets to the bandwidth;
/// - prompt matmul (512 rows) per weight type on 4096 × 4096, as MFLOP/s;
/// - small-batch matmul on the exact path (1 to 64 rows: a decode step of that many sequences) on a SmolLM2 FFN
///   matrix (1536 × 576) and an 8B one (14336 × 4096), Q4_0 and Q4_1, as wall-clock time per matmul: each
///   weight is read once for all rows up to the backend's `blasMinimumRows`, so the time should grow much more
///   slowly than the rows (1 row is the decode kernel).
/// Threads: `LLAMAKIT_BENCH_THREADS` (default all cores); activations: `LLAMAKIT_BENCH_ACTIVATIONS` (the
/// small-batch suite is exact whatever it says).
let benchmarks: @Sendable () -> Void = {
    let threads = BenchmarkEnvironment.threads
    let activations = BenchmarkEnvironment.activations
    let types: [TensorType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q4_K, .q6_K]
    let bandwidth = BenchmarkMetric.custom("Bandwidth (MB/s)", polarity: .prefersLarger, useScalingFactor: false)
    let weights = BenchmarkMetric.custom("Weights read (MB/s)", polarity: .prefersLarger, useScalingFactor: false)
    let flops = BenchmarkMetric.custom("MFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
    func configuration(_ metric: BenchmarkMetric, iterations: Int) -> Benchmark.Configuration {
        Benchmark.Configuration(metrics: [.wallClock, metric], warmupIterations: 1, scalingFactor: .one,
                                maxDuration: .seconds(10), maxIterations: iterations)
    }

    for loop in MemoryBandwidth.Loop.allCases {
        Benchmark("Memory bandwidth: \(loop), \(threads) threads", configuration: configuration(bandwidth, iterations: 3)) { benchmark in
            for _ in benchmark.scaledIterations {
                benchmark.measurement(bandwidth, Int(MemoryBandwidth.measure(loop, threads: threads, passes: 3) / 1e6))
            }
        }
    }

    for type in types {
        nonisolated(unsafe) var backend: CPUBackend?
        nonisolated(unsafe) var w: (any BackendTensor)?
        nonisolated(unsafe) var x: (any BackendTensor)?
        nonisolated(unsafe) var y: (any BackendTensor)?
        let (rows, columns) = (14336, 4096)
        let bytes = rows * (type.rowBytes(columns: columns) ?? 0)
        Benchmark("Decode matmul \(type) \(rows)x\(columns), \(threads) threads, \(activations)",
                  configuration: configuration(weights, iterations: 200), closure: { benchmark in
            guard let backend, let w, let x, let y else { return }
            for _ in benchmark.scaledIterations {
                let start = ContinuousClock.now
                try backend.matmul(x, weight: w, into: y, rows: 1)
                benchmark.measurement(weights, Int(Double(bytes) / BenchmarkEnvironment.seconds(since: start) / 1e6))
            }
        }, setup: {
            let cpu = CPUBackend(threads: threads, activationPrecision: activations)
            w = try cpu.weight(RandomWeights.tensor(name: "w", type: type, rows: rows, columns: columns, seed: 7))
            x = try cpu.makeTensor(type: .f32, rows: 1, columns: columns)
            y = try cpu.makeTensor(type: .f32, rows: 1, columns: rows)
            try cpu.write((0 ..< columns).map { Float($0 % 13) / 6 - 1 }, to: x!, firstRow: 0)
            backend = cpu
        }, teardown: { (backend, w, x, y) = (nil, nil, nil, nil) })
    }

    for type in types {
        nonisolated(unsafe) var backend: CPUBackend?
        nonisolated(unsafe) var w: (any BackendTensor)?
        nonisolated(unsafe) var x: (any BackendTensor)?
        nonisolated(unsafe) var y: (any BackendTensor)?
        let (m, n, k) = (512, 4096, 4096)
        Benchmark("Prompt matmul \(type) \(m)x\(k) by \(n)x\(k), \(threads) threads, \(activations)",
                  configuration: configuration(flops, iterations: 20), closure: { benchmark in
            guard let backend, let w, let x, let y else { return }
            for _ in benchmark.scaledIterations {
                let start = ContinuousClock.now
                try backend.matmul(x, weight: w, into: y, rows: m)
                benchmark.measurement(flops, Int(2 * Double(m) * Double(n) * Double(k) / BenchmarkEnvironment.seconds(since: start) / 1e6))
            }
        }, setup: {
            let cpu = CPUBackend(threads: threads, activationPrecision: activations)
            w = try cpu.weight(RandomWeights.tensor(name: "w", type: type, rows: n, columns: k, seed: 8))
            x = try cpu.makeTensor(type: .f32, rows: m, columns: k)
            y = try cpu.makeTensor(type: .f32, rows: m, columns: n)
            try cpu.write((0 ..< m * k).map { Float($0 % 17) / 8 - 1 }, to: x!, firstRow: 0)
            backend = cpu
        }, teardown: { (backend, w, x, y) = (nil, nil, nil, nil) })
    }

    // Small batches. A SmolLM2 matrix (550 KB) fits in the caches, where a model's hundreds of them do not, so
    // the matmuls cycle through copies of it that add up to 64 MiB or more.
    for (shape, rows, columns) in [("SmolLM2", 1536, 576), ("8B", 14336, 4096)] {
        for type: TensorType in [.q4_0, .q4_1] {
            let bytes = rows * (type.rowBytes(columns: columns) ?? 0)
            let copies = max(1, (64 << 20) / max(bytes, 1) + 1)
            for m in [1, 2, 4, 8, 16, 32, 64] {
                nonisolated(unsafe) var backend: CPUBackend?
                nonisolated(unsafe) var weights: [any BackendTensor] = []
                nonisolated(unsafe) var x: (any BackendTensor)?
                nonisolated(unsafe) var y: (any BackendTensor)?
                nonisolated(unsafe) var next = 0
                Benchmark("Small-batch matmul \(type) \(shape) \(rows)x\(columns), \(m) rows, \(threads) threads, float32",
                          configuration: Benchmark.Configuration(metrics: [.wallClock], warmupIterations: 2, scalingFactor: .one,
                                                                 maxDuration: .seconds(5), maxIterations: 200),
                          closure: { benchmark in
                    guard let backend, let x, let y else { return }
                    for _ in benchmark.scaledIterations {
                        try backend.matmul(x, weight: weights[next], into: y, rows: m)
                        next = (next + 1) % weights.count
                    }
                }, setup: {
                    let cpu = CPUBackend(threads: threads, activationPrecision: .float32)
                    weights = try (0 ..< copies).map { copy in
                        try cpu.weight(RandomWeights.tensor(name: "w\(copy)", type: type, rows: rows, columns: columns, seed: 9 + UInt64(copy)))
                    }
                    x = try cpu.makeTensor(type: .f32, rows: m, columns: columns)
                    y = try cpu.makeTensor(type: .f32, rows: m, columns: rows)
                    try cpu.write((0 ..< m * columns).map { Float($0 % 19) / 9 - 1 }, to: x!, firstRow: 0)
                    backend = cpu
                }, teardown: { (backend, weights, x, y) = (nil, [], nil, nil) })
            }
        }
    }
}
