import BenchmarkSupport
import Foundation
import LlamaKit
import LlamaKitCPU

/// Projects Llama 3.1 8B and 70B decode speed on this machine from measured pieces: one decoder layer's
/// decode step (``LayerDecode``, at context 0 and 4096) times the layer count, plus the output projection
/// (``HeadDecode``); and compares it with the memory-bandwidth bound (bytes a token reads / the best read
/// bandwidth measured here). Projections use each piece's best time. Prints the Markdown table of
/// Docs/Projections.md.
///
///     cd Benchmarks && swift run -c release layer-projection [--threads N] [--int8] [--quick] [--8b-only] [--type Q4_0]
let arguments = CommandLine.arguments
func value(_ flag: String) -> String? { arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
let threads = value("--threads").flatMap(Int.init) ?? BenchmarkEnvironment.threads
let activations: CPUBackend.ActivationPrecision = arguments.contains("--int8") ? .int8 : BenchmarkEnvironment.activations
let steps = arguments.contains("--quick") ? 3 : 15
let shapes = arguments.contains("--8b-only") ? [LayerShape.llama31_8B] : [.llama31_8B, .llama31_70B]
let types = value("--type").map { name in TensorType.allCases.filter { $0.description == name.uppercased() } } ?? [.q4_0, .q8_0, .bf16]

/// Best and median seconds of `steps` runs of `body` after one warm-up run. On a shared machine the best
/// run is what the code can do; the median is what a user sees when neighbours load the memory bus.
func time(_ body: () throws -> Void) rethrows -> (best: Double, median: Double) {
    try body()  // warm-up: page in, start the pool
    var samples: [Double] = []
    for _ in 0 ..< steps {
        let start = ContinuousClock.now
        try body()
        samples.append(BenchmarkEnvironment.seconds(since: start))
    }
    samples.sort()
    return (samples[0], samples[samples.count / 2])
}

func gb(_ bytes: Double) -> String { String(format: "%.1f GB", bytes / 1e9) }
func rate(_ value: Double) -> String { String(format: value >= 10 ? "%.1f" : "%.2f", value) }

let ram = Double(ProcessInfo.processInfo.physicalMemory)
let loops = MemoryBandwidth.Loop.allCases.map { "\($0) \(String(format: "%.1f", MemoryBandwidth.measure($0, threads: threads) / 1e9))" }
print("Machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(gb(ram)) RAM; \(threads) threads; CPU kernels \(CPUBackend.InstructionSet.detected); decode activations \(activations).")
print("Memory bandwidth (GB/s, best of 5 passes over 1 GiB, \(threads) threads): \(loops.joined(separator: ", ")).")
print("Each row: layer steps and output projection timed \(steps) times (best / median); the bound is the best read loop, measured again just before the row.")
print("")
print("| model | weights | model size | fits in RAM | bound (GB/s) | layer step, ctx 0 | layer, % of bound | layer step, ctx 4096 | output projection | projected tokens/s, ctx 0 | bound, ctx 0 | projected, ctx 4096 | bound, ctx 4096 |")
print("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
func ms(_ t: (best: Double, median: Double)) -> String { String(format: "%.2f / %.2f ms", t.best * 1e3, t.median * 1e3) }
for shape in shapes {
    for type in types {
        let backend = CPUBackend(threads: threads, activationPrecision: activations)
        let layer = try LayerDecode(shape: shape, type: type, backend: backend)
        let head = try HeadDecode(shape: shape, type: type, backend: backend)
        let bound = MemoryBandwidth.readBound(threads: threads).bytesPerSecond
        let t0 = try time { try layer.step(context: 0) }
        let t4096 = try time { try layer.step(context: 4096) }
        let tHead = try time { try head.step() }
        let layers = Double(shape.layers)
        let perToken0 = layers * t0.best + tHead.best, perToken4096 = layers * t4096.best + tHead.best
        let bytes0 = Double(shape.bytesPerToken(type)), bytes4096 = bytes0 + Double(shape.kvCacheBytes(positions: 4096))
        let size = Double(shape.modelBytes(type))
        let fits = size + Double(shape.kvCacheBytes(positions: 4096)) < ram * 0.9 ? "yes" : "no"
        let layerShare = Double(shape.layerBytes(type)) / t0.best / bound * 100
        print("| \(shape.name) | \(type) | \(gb(size)) | \(fits) | \(String(format: "%.1f", bound / 1e9)) | \(ms(t0)) | \(String(format: "%.0f %%", layerShare)) | "
            + "\(ms(t4096)) | \(ms(tHead)) | \(rate(1 / perToken0)) | \(rate(bound / bytes0)) | \(rate(1 / perToken4096)) | \(rate(bound / bytes4096)) |")
    }
}
