import ArgumentParser
import Foundation
import LlamaKit
import LlamaKitBackends
import LlamaKitCPU

extension CPUBackend.ActivationPrecision: ExpressibleByArgument {}

extension CountList: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public var defaultValueDescription: String { text }
}

/// Measures batched decoding the way llama.cpp's llama-batched-bench does, so the two run side by side.
///
/// For every combination of prompt length PP, generated tokens TG and parallel sequences B (PL): B prompts of
/// PP tokens are evaluated into an empty cache in batches of up to `-ub` rows (with `-pps`, one prompt shared by
/// all B sequences), then TG decode steps each evaluate one token of every sequence in one forward pass.
/// T_PP and T_TG time the two phases; S_PP = B·PP / T_PP (PP / T_PP when shared), S_TG = B·TG / T_TG,
/// S = N_KV / (T_PP + T_TG) with N_KV = B·(PP + TG) (PP + B·TG when shared). Every token is id 0, as there.
@main
struct LlamaBatchedBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "llama-batched-bench",
                                                    abstract: "Benchmark batched decoding of many sequences at once.")

    @Option(name: [.customShort("m"), .long], help: "Path to a GGUF model or a checkpoint folder.")
    var model: String = DefaultModel.path
    @Option(name: [.customShort("c"), .customLong("ctx-size")], help: "KV-cache size in tokens (N_KV_MAX): combinations that need more are skipped.")
    var contextSize: Int = 2048
    @Option(name: [.customShort("b"), .customLong("batch-size")], help: "Logical batch size for prompt processing.")
    var batchSize: Int = 2048
    @Option(name: [.customLong("ub", withSingleDash: true), .customLong("ubatch-size")], help: "Rows in one forward pass.")
    var ubatchSize: Int = 512
    @Option(name: [.customLong("npp", withSingleDash: true)], help: "Prompt lengths PP, comma-separated.")
    var promptLengths = CountList([128, 256, 512])
    @Option(name: [.customLong("ntg", withSingleDash: true)], help: "Generated tokens TG, comma-separated.")
    var generatedLengths = CountList([128, 256])
    @Option(name: [.customLong("npl", withSingleDash: true)], help: "Parallel sequences B, comma-separated.")
    var parallelCounts = CountList([1, 2, 4, 8, 16, 32])
    @Flag(name: [.customLong("pps", withSingleDash: true)], help: "One prompt shared by all sequences.")
    var sharedPrompt = false
    @Option(name: [.customShort("t"), .customLong("threads")], help: "Threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Compute backend: cpu or opencl.")
    var backend: String = "cpu"
    @Option(help: "Activation precision on the CPU: float32 (exact) or int8 (approximate, faster).")
    var activations: CPUBackend.ActivationPrecision = .float32
    @Option(help: "OpenCL device index.")
    var device: Int?
    @Option(name: .customLong("output-format"), help: "md (a markdown table) or jsonl (one JSON object per line).")
    var outputFormat: String = "md"

    mutating func validate() throws {
        guard ["md", "jsonl"].contains(outputFormat) else { throw ValidationError("--output-format must be md or jsonl.") }
        guard contextSize > 0, batchSize > 0, ubatchSize > 0, threads > 0 else {
            throw ValidationError("-c, -b, -ub and -t must be positive.")
        }
        for list in [promptLengths, generatedLengths, parallelCounts] where list.values.contains(where: { $0 < 0 }) {
            throw ValidationError("-npp, -ntg and -npl take counts that are not negative.")
        }
        guard parallelCounts.values.allSatisfy({ $0 > 0 }) else { throw ValidationError("-npl takes positive counts.") }
        guard BackendChoice.names.contains(backend) else {
            throw ValidationError("Unknown backend '\(backend)' (available: \(BackendChoice.names.joined(separator: ", "))).")
        }
    }

    struct Row {
        let n_kv_max, n_batch, n_ubatch, flash_attn, is_pp_shared, n_gpu_layers, n_threads, n_threads_batch: Int
        let pp, tg, pl, n_kv: Int
        let t_pp, speed_pp, t_tg, speed_tg, t, speed: Double
    }

    mutating func run() throws {
        let compute = try BackendChoice.make(name: backend, device: device, threads: threads, cpuActivations: activations)
        let network = CheckpointModel.isFolder(model)
            ? try LlamaModel.load(folder: model, backend: compute)
            : try LlamaModel(gguf: GGUFFile(path: model), backend: compute)
        let rowsPerPass = min(batchSize, ubatchSize)
        let cache = try network.makeCache(rows: contextSize)
        let scratch = try network.makeScratch(capacity: max(rowsPerPass, parallelCounts.values.max() ?? 1))

        if outputFormat == "md" {
            print("main: n_kv_max = \(contextSize), n_batch = \(batchSize), n_ubatch = \(ubatchSize), flash_attn = 0, is_pp_shared = \(sharedPrompt ? 1 : 0), n_gpu_layers = 0, n_threads = \(threads), n_threads_batch = \(threads), backend = \(backend), activations = \(activations.rawValue)")
            print("")
            print("|    PP |     TG |    B |   N_KV |   T_PP s | S_PP t/s |   T_TG s | S_TG t/s |      T s |    S t/s |")
            print("|-------|--------|------|--------|----------|----------|----------|----------|----------|----------|")
        }
        // Warm-up: page the weights in and start the threads.
        _ = try evaluatePrompts(network, cache: cache, scratch: scratch, promptLength: min(16, contextSize), sequences: 1,
                                rowsPerPass: rowsPerPass, slots: [(0 ..< Int32(min(16, contextSize))).map { $0 }])

        for pp in promptLengths.values {
            for tg in generatedLengths.values {
                for pl in parallelCounts.values {
                    let nKV = sharedPrompt ? pp + pl * tg : pl * (pp + tg)
                    guard nKV <= contextSize, pp + tg > 0 else { continue }
                    let slots = Self.slots(promptLength: pp, generated: tg, sequences: pl, shared: sharedPrompt)
                    let start = DispatchTime.now()
                    if pp > 0 {
                        _ = try evaluatePrompts(network, cache: cache, scratch: scratch, promptLength: pp,
                                                sequences: sharedPrompt ? 1 : pl, rowsPerPass: rowsPerPass, slots: slots)
                    }
                    let promptDone = DispatchTime.now()
                    for step in 0 ..< tg {
                        var builder = BatchBuilder()
                        for sequence in 0 ..< pl {
                            try builder.add(tokens: [0], firstPosition: pp + step, cacheSlots: slots[sequence][...], logits: .last)
                        }
                        _ = try network.forward(builder.batch, cache: cache, scratch: scratch)
                    }
                    let end = DispatchTime.now()
                    let tPP = Self.seconds(start, promptDone), tTG = Self.seconds(promptDone, end), t = tPP + tTG
                    let row = Row(n_kv_max: contextSize, n_batch: batchSize, n_ubatch: ubatchSize, flash_attn: 0,
                                  is_pp_shared: sharedPrompt ? 1 : 0, n_gpu_layers: 0, n_threads: threads,
                                  n_threads_batch: threads, pp: pp, tg: tg, pl: pl, n_kv: nKV,
                                  t_pp: tPP, speed_pp: tPP > 0 ? Double(sharedPrompt ? pp : pl * pp) / tPP : 0,
                                  t_tg: tTG, speed_tg: tTG > 0 ? Double(pl * tg) / tTG : 0,
                                  t: t, speed: t > 0 ? Double(nKV) / t : 0)
                    emit(row)
                }
            }
        }
    }

    /// Cache rows of every sequence's positions: each sequence its own run of rows, except that with a shared
    /// prompt every sequence reads the first sequence's prompt rows.
    static func slots(promptLength pp: Int, generated tg: Int, sequences pl: Int, shared: Bool) -> [[Int32]] {
        (0 ..< pl).map { s in
            let promptStart = shared ? 0 : s * (pp + tg)
            let generatedStart = shared ? pp + s * tg : s * (pp + tg) + pp
            return (0 ..< pp).map { Int32(promptStart + $0) } + (0 ..< tg).map { Int32(generatedStart + $0) }
        }
    }

    /// All sequences' prompts (token 0 everywhere) in passes of up to `rowsPerPass` rows, logits of each last token.
    private func evaluatePrompts(_ network: LlamaModel, cache: KVCache, scratch: ForwardScratch, promptLength pp: Int,
                                 sequences: Int, rowsPerPass: Int, slots: [[Int32]]) throws -> Int {
        var builder = BatchBuilder()
        var passes = 0
        for sequence in 0 ..< sequences {
            var position = 0
            while position < pp {
                let count = min(pp - position, rowsPerPass - builder.batch.count)
                try builder.add(tokens: Array(repeating: 0, count: count), firstPosition: position,
                                cacheSlots: slots[sequence][...], logits: position + count == pp ? .last : .none)
                position += count
                if builder.batch.count == rowsPerPass {
                    _ = try network.forward(builder.batch, cache: cache, scratch: scratch)
                    builder = BatchBuilder()
                    passes += 1
                }
            }
        }
        if builder.batch.count > 0 {
            _ = try network.forward(builder.batch, cache: cache, scratch: scratch)
            passes += 1
        }
        return passes
    }

    private func emit(_ row: Row) {
        if outputFormat == "jsonl" {
            // Fields in llama.cpp's order, times and speeds with six decimals as it prints them.
            let settings = [("n_kv_max", row.n_kv_max), ("n_batch", row.n_batch), ("n_ubatch", row.n_ubatch),
                            ("flash_attn", row.flash_attn), ("is_pp_shared", row.is_pp_shared),
                            ("n_gpu_layers", row.n_gpu_layers), ("n_threads", row.n_threads),
                            ("n_threads_batch", row.n_threads_batch), ("pp", row.pp), ("tg", row.tg), ("pl", row.pl),
                            ("n_kv", row.n_kv)].map { "\"\($0.0)\": \($0.1)" }
            let timings = [("t_pp", row.t_pp), ("speed_pp", row.speed_pp), ("t_tg", row.t_tg), ("speed_tg", row.speed_tg),
                           ("t", row.t), ("speed", row.speed)].map { "\"\($0.0)\": " + String(format: "%f", $0.1) }
            print("{" + (settings + timings).joined(separator: ", ") + "}")
        } else {
            print(String(format: "|%6d | %6d | %4d | %6d | %8.3f | %8.2f | %8.3f | %8.2f | %8.3f | %8.2f |",
                         row.pp, row.tg, row.pl, row.n_kv, row.t_pp, row.speed_pp, row.t_tg, row.speed_tg, row.t, row.speed))
        }
        fflush(nil)
    }

    private static func seconds(_ from: DispatchTime, _ to: DispatchTime) -> Double {
        Double(to.uptimeNanoseconds - from.uptimeNanoseconds) / 1e9
    }
}
