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
let steps = arguments.contains("--quick") ? 3 : 30
let shapes = arguments.contains("--8b-only") ? [LayerShape.llama31_8B] : [.llama31_8B, .llama31_70B]
let types = value("--type").map { name in TensorType.allCases.filter { $0.description == name.uppercased() } } ?? [.q4_0, .q4_K, .q8_0, .bf16]

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
var loops: [MemoryBandwidth.Loop: Double] = [:]
for loop in MemoryBandwidth.Loop.allCases { loops[loop] = MemoryBandwidth.measure(loop, threads: threads) }

struct Row {
    let shape: LayerShape, type: TensorType
    let step0, step4096, head: (best: Double, median: Double)
    /// Median over steps of the step's weight bandwidth / the read bandwidth timed just before and after it.
    let alongside: Double
}

/// The layer's ctx-0 step held to a read loop over as many bytes, timed right before and right after each step
/// (``ReadAlongside``): on a host whose bandwidth moves by up to 2× from second to second, the median of these
/// paired ratios is steadier than one best time over one best bound measured minutes apart.
func alongside(_ layer: LayerDecode, bytes: Int) throws -> Double {
    guard let reader = ReadAlongside(bytes: bytes, threads: threads) else { return 0 }
    _ = reader.pass()
    var ratios: [Double] = []
    for _ in 0 ..< steps {
        let before = reader.pass()
        let start = ContinuousClock.now
        try layer.step(context: 0)
        let rate = Double(bytes) / BenchmarkEnvironment.seconds(since: start)
        let after = reader.pass()
        if before > 0, after > 0 { ratios.append(rate / ((before + after) / 2)) }
    }
    return ratios.isEmpty ? 0 : ratios.sorted()[ratios.count / 2]
}
var rows: [Row] = []
// The bound is the best read bandwidth seen in the whole run (measured at the start and again before each
// row): neighbours on a shared host slow memory down at times, and a bound taken in a slow moment would
// flatter the kernels.
var bound = [MemoryBandwidth.Loop.read, .readPrefetched, .readStreams].compactMap { loops[$0] }.max() ?? 0
for shape in shapes {
    for type in types {
        let backend = CPUBackend(threads: threads, activationPrecision: activations)
        let layer = try LayerDecode(shape: shape, type: type, backend: backend)
        let head = try HeadDecode(shape: shape, type: type, backend: backend)
        bound = max(bound, MemoryBandwidth.readBound(threads: threads).bytesPerSecond)
        rows.append(Row(shape: shape, type: type, step0: try time { try layer.step(context: 0) },
                        step4096: try time { try layer.step(context: 4096) }, head: try time { try head.step() },
                        alongside: try alongside(layer, bytes: shape.layerBytes(type))))
    }
}

func gbs(_ value: Double?) -> String { String(format: "%.1f", (value ?? 0) / 1e9) }
print("Machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(gb(ram)) RAM; \(threads) threads; CPU kernels \(CPUBackend.InstructionSet.detected); decode activations \(activations).")
print("Memory bandwidth at the start (GB/s, best of 5 passes over 1 GiB, \(threads) threads): "
    + MemoryBandwidth.Loop.allCases.map { "\($0) \(gbs(loops[$0]))" }.joined(separator: ", ") + ".")
print("Bound: the best read bandwidth of the run, \(gbs(bound)) GB/s. Times: best / median of \(steps) steps; projections use the best.")
print("")
print("| model | weights | model size | fits in RAM | layer step, ctx 0 | layer weights read | % of bound | % of read alongside | layer step, ctx 4096 | output projection | projected tokens/s, ctx 0 | bound, ctx 0 | projected, ctx 4096 | bound, ctx 4096 |")
print("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
func ms(_ t: (best: Double, median: Double)) -> String { String(format: "%.2f / %.2f ms", t.best * 1e3, t.median * 1e3) }
for row in rows {
    let (shape, type) = (row.shape, row.type)
    let layers = Double(shape.layers)
    let perToken0 = layers * row.step0.best + row.head.best, perToken4096 = layers * row.step4096.best + row.head.best
    let bytes0 = Double(shape.bytesPerToken(type)), bytes4096 = bytes0 + Double(shape.kvCacheBytes(positions: 4096))
    let size = Double(shape.modelBytes(type))
    let fits = size + Double(shape.kvCacheBytes(positions: 4096)) < ram * 0.9 ? "yes" : "no"
    let layerRate = Double(shape.layerBytes(type)) / row.step0.best
    print("| \(shape.name) | \(type) | \(gb(size)) | \(fits) | \(ms(row.step0)) | \(gbs(layerRate)) GB/s | \(String(format: "%.0f %%", layerRate / bound * 100)) | \(String(format: "%.0f %%", row.alongside * 100)) | "
        + "\(ms(row.step4096)) | \(ms(row.head)) | \(rate(1 / perToken0)) | \(rate(bound / bytes0)) | \(rate(1 / perToken4096)) | \(rate(bound / bytes4096)) |")
}
