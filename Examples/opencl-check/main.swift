import ArgumentParser
import Foundation
import LlamaKit
import LlamaKitBackends
import LlamaKitCPU
import LlamaKitOpenCL

/// Parity of the OpenCL backend with the CPU backend on any machine, for Scripts/gpu-check.sh.
///
/// `record` (on the build machine) runs fixed prompts on the CPU backend and writes the reference;
/// `parity` (on the machine with the GPU) runs them on OpenCL — and on that machine's CPU backend — and
/// prints markdown table rows. Needs no Python or Swift toolchain on the GPU machine.
@main
struct OpenCLCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opencl-check",
        abstract: "OpenCL backend parity against recorded CPU-backend logits.",
        subcommands: [Devices.self, Record.self, Parity.self, Compare.self])
}

/// The prompts both halves run: one long prompt with every position's logits, three last-position prompts,
/// two greedy continuations.
enum CheckCases {
    static let long = "The printing press, invented by Johannes Gutenberg around 1440, changed how knowledge spread across "
        + "Europe. Books that once took scribes months to copy could be produced in days, and literacy rose as prices fell. "
        + "Within fifty years, presses operated in more than two hundred cities."
    static let last = ["def fibonacci(n):\n    if n < 2:\n        return n\n", "Question: Why is the sky blue?\nAnswer:",
                       "La capitale de la France est"]
    static let greedy = ["Once upon a time, in a small village by the sea,", "The three primary colors are"]
    static let greedyTokens = 32
    /// Vocabulary ids whose logits are stored (every 64th id, plus each position's top ids): the reference
    /// must stay small enough to travel; full rows are compared with the GPU machine's own CPU backend.
    static func subset(vocabulary: Int) -> [Int] { Array(stride(from: 0, to: vocabulary, by: 64)) }
    static let topK = 8
}

struct Reference: Codable {
    var model: String
    var vocabulary: Int
    var longIDs: [Int32]
    var lastIDs: [[Int32]]
    var greedyPrompts: [[Int32]]
    var greedyContinuations: [[Int32]]
    var longArgmax: [Int32]
    var lastArgmax: [Int32]
    /// The 8 highest-logit ids of each long position, then of each last-position prompt, and their logits.
    var topIDs: [[Int]]
    var topLogits: [[Float]]
}

/// The `count` highest-logit ids of `row`, highest first.
func top(_ row: ArraySlice<Float>, _ count: Int) -> [Int] {
    Array(row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(count)).map { $0 - row.startIndex }
}

extension OpenCLCheck {
    struct Devices: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the compute devices.")
        func run() throws { print(BackendChoice.deviceListing()) }
    }

    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write CPU-backend reference logits for the check prompts.")
        @Option(help: "GGUF model.") var model: String
        @Option(help: "Output directory.") var out: String
        @Option(help: "CPU threads.") var threads: Int?

        func run() throws {
            let languageModel = try LanguageModel.load(path: model, backend: CPUBackend(threads: threads))
            let network = languageModel.network
            let vocabulary = network.configuration.vocabularySize
            let encode = { (text: String) in languageModel.tokenizer.encode(text, addBOS: false, parseSpecial: false) }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

            let longIDs = encode(CheckCases.long)
            let logits = try network.forward(longIDs, state: network.makeState(contextLength: longIDs.count), logits: .allPositions)
            let subset = CheckCases.subset(vocabulary: vocabulary)
            var rows: [ArraySlice<Float>] = longIDs.indices.map { logits[$0 * vocabulary ..< ($0 + 1) * vocabulary] }
            var lastIDs: [[Int32]] = []
            for text in CheckCases.last {
                let ids = encode(text)
                lastIDs.append(ids)
                rows.append(ArraySlice(try network.forward(ids, state: network.makeState(contextLength: ids.count))))
            }
            let subsetValues = rows.flatMap { row in subset.map { row[row.startIndex + $0] } }
            try NumPyFile.write(float32: subsetValues, shape: [rows.count, subset.count], to: "\(out)/subset.npy")
            let argmax = rows.map { Sampler.argmax(Array($0)) }
            let topIDs = rows.map { top($0, CheckCases.topK) }
            let topLogits = zip(rows, topIDs).map { row, ids in ids.map { row[row.startIndex + $0] } }
            let prompts = CheckCases.greedy.map(encode)
            let continuations = try prompts.map { try greedy(network, prompt: $0, count: CheckCases.greedyTokens) }
            let reference = Reference(model: URL(fileURLWithPath: model).lastPathComponent, vocabulary: vocabulary, longIDs: longIDs,
                                      lastIDs: lastIDs, greedyPrompts: prompts, greedyContinuations: continuations,
                                      longArgmax: Array(argmax.prefix(longIDs.count)), lastArgmax: Array(argmax.dropFirst(longIDs.count)),
                                      topIDs: topIDs, topLogits: topLogits)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(reference).write(to: URL(fileURLWithPath: "\(out)/reference.json"))
            print("recorded \(longIDs.count) + \(lastIDs.count) positions and \(prompts.count) greedy continuations in \(out)")
        }
    }

    struct Parity: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the check prompts on OpenCL and this machine's CPU backend; print markdown rows; fail past the tolerance.")
        @Option(help: "GGUF model (the one the reference was recorded with).") var model: String
        @Option(help: "Reference directory written by `record`.") var reference: String
        @Option(help: "OpenCL device index (default: the first GPU).") var device: Int?
        @Option(help: "CPU threads.") var threads: Int?
        @Option(help: "Largest acceptable max abs logit difference.") var tolerance: Double = 1e-2

        func run() throws {
            let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: "\(reference)/reference.json")))
            let gguf = try GGUFFile(path: model)
            let start = Date()
            let backend = try OpenCLBackend(device: device, options: .init(cpuThreads: threads))
            let opencl = try LlamaModel(gguf: gguf, backend: backend)
            let loadSeconds = Date().timeIntervalSince(start)
            let cpu = try LlamaModel(gguf: gguf, backend: CPUBackend(threads: threads))
            let deviceName = "opencl: \(backend.device.name)"
            var failures: [String] = []
            func row(_ check: String, _ result: String, on backendName: String? = nil) {
                print("| \(check) | \(backendName ?? deviceName) | \(result) |")
            }

            row("program", "\(backend.programOrigin), \(backend.kernels) kernels, load \(String(format: "%.2f", loadSeconds)) s")

            // Every position of the long prompt, then each last-position prompt: stored subset, top ids and
            // argmax vs the reference; full rows vs this machine's CPU backend.
            let vocabulary = ref.vocabulary
            let subset = CheckCases.subset(vocabulary: vocabulary)
            let stored = try NumPyFile.read(path: "\(reference)/subset.npy").values
            func rows(_ network: LlamaModel) throws -> [ArraySlice<Float>] {
                let long = try network.forward(ref.longIDs, state: network.makeState(contextLength: ref.longIDs.count), logits: .allPositions)
                var result = ref.longIDs.indices.map { long[$0 * vocabulary ..< ($0 + 1) * vocabulary] }
                for ids in ref.lastIDs { result.append(ArraySlice(try network.forward(ids, state: network.makeState(contextLength: ids.count)))) }
                return result
            }
            let ours = try rows(opencl)
            let local = try rows(cpu)
            let argmax = ref.longArgmax + ref.lastArgmax
            var referenceDiff = 0.0, localDiff: Float = 0, localCPUDiff = 0.0
            var argmaxAgree = 0
            for (r, (mine, theirs)) in zip(ours, local).enumerated() {
                for (j, id) in subset.enumerated() {
                    referenceDiff = max(referenceDiff, abs(Double(mine[mine.startIndex + id]) - stored[r * subset.count + j]))
                    localCPUDiff = max(localCPUDiff, abs(Double(theirs[theirs.startIndex + id]) - stored[r * subset.count + j]))
                }
                for (id, logit) in zip(ref.topIDs[r], ref.topLogits[r]) {
                    referenceDiff = max(referenceDiff, abs(Double(mine[mine.startIndex + id]) - Double(logit)))
                }
                localDiff = max(localDiff, zip(mine, theirs).map { abs($0 - $1) }.max() ?? .infinity)
                if Sampler.argmax(Array(mine)) == argmax[r] { argmaxAgree += 1 }
            }
            let positions = ref.longIDs.count + ref.lastIDs.count
            row("max abs logit diff vs CPU reference (build machine), \(positions) positions", String(format: "%.3g", referenceDiff))
            row("max abs logit diff vs this machine's CPU backend (\(positions) positions, full vocabulary)", String(format: "%.3g", localDiff))
            row("max abs logit diff vs CPU reference (build machine), \(positions) positions", String(format: "%.3g", localCPUDiff),
                on: "cpu (this machine)")
            row("argmax identical to the reference", "\(argmaxAgree)/\(positions)")
            if !(referenceDiff < tolerance) { failures.append("logits differ by \(referenceDiff)") }
            if argmaxAgree != positions { failures.append("argmax differs at \(positions - argmaxAgree) positions") }

            var greedyAgree = 0
            for (prompt, expected) in zip(ref.greedyPrompts, ref.greedyContinuations) {
                if try greedy(opencl, prompt: prompt, count: expected.count) == expected { greedyAgree += 1 }
            }
            row("greedy continuations (\(CheckCases.greedyTokens) tokens) identical", "\(greedyAgree)/\(ref.greedyPrompts.count)")
            if greedyAgree != ref.greedyPrompts.count { failures.append("greedy continuations differ") }

            if !failures.isEmpty {
                FileHandle.standardError.write(Data("opencl-check: FAILED: \(failures.joined(separator: "; "))\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Max abs difference and argmax agreement of two logits .npy files.")
        @Argument(help: "First .npy.") var a: String
        @Argument(help: "Second .npy.") var b: String

        func run() throws {
            let (x, y) = (try NumPyFile.read(path: a), try NumPyFile.read(path: b))
            guard x.shape == y.shape, let width = x.shape.last, width > 0 else {
                throw ValidationError("shapes differ: \(x.shape) vs \(y.shape)")
            }
            let diff = zip(x.values, y.values).map { abs($0 - $1) }.max() ?? 0
            let rows = x.values.count / width
            func argmax(_ v: [Double], _ r: Int) -> Int { (r * width ..< (r + 1) * width).max { v[$0] < v[$1] } ?? -1 }
            let agree = (0 ..< rows).filter { argmax(x.values, $0) == argmax(y.values, $0) }.count
            print(String(format: "%.3g %d/%d", diff, agree, rows))
        }
    }
}

/// `count` greedy tokens after `prompt`, one decode step at a time.
func greedy(_ network: LlamaModel, prompt: [Int32], count: Int) throws -> [Int32] {
    let state = try network.makeState(contextLength: prompt.count + count)
    var logits = try network.forward(prompt, state: state)
    var tokens: [Int32] = []
    while tokens.count < count {
        tokens.append(Sampler.argmax(logits))
        if tokens.count < count, let last = tokens.last { logits = try network.forward([last], state: state) }
    }
    return tokens
}
