import ArgumentParser
import Foundation
import LlamaKit
import LlamaKitBackends
import LlamaKitCPU

extension CPUBackend.ActivationPrecision: ExpressibleByArgument {}

/// Chat with a model, or continue a raw prompt. Generated text goes to stdout; timings go to stderr.
@main
struct LlamaCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llama-cli",
        abstract: "Chat with a Llama-architecture model (interactive when no --prompt is given).")

    @Option(help: "Path to a GGUF model (default: the fetched SmolLM2-135M-Instruct).")
    var model: String = DefaultModel.path
    @Option(help: "A single prompt; without it, an interactive chat starts.")
    var prompt: String?
    @Option(help: "System message (replaces the template's default).")
    var system: String?
    @Flag(help: "Continue the prompt as raw text, without the chat template.")
    var raw = false
    @Option(help: "Maximum new tokens per reply.")
    var maxTokens: Int = 512
    @Option(help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0.8
    @Option(help: "Top-k (0 = off).")
    var topK: Int = 40
    @Option(help: "Top-p (1 = off).")
    var topP: Float = 0.95
    @Option(help: "Min-p (0 = off).")
    var minP: Float = 0.05
    @Option(help: "Repetition penalty (1 = off).")
    var repeatPenalty: Float = 1.0
    @Option(help: "Random seed for reproducible sampling.")
    var seed: UInt64?
    @Option(help: "CPU threads (default: all cores).")
    var threads: Int?
    @Option(help: "Context length in tokens.")
    var ctx: Int = 4096
    @Option(help: "Compute backend: cpu or opencl.")
    var backend: String = "cpu"
    @Option(help: "Activation precision on the CPU: float32 (exact) or int8 (approximate, faster; see Docs/Accuracy.md).")
    var activations: CPUBackend.ActivationPrecision = .float32
    @Option(help: "OpenCL device index (default: the first GPU); see --list-devices.")
    var device: Int?
    @Flag(help: "List the compute devices and exit.")
    var listDevices = false
    @Option(help: "A JSON file of tool definitions (an array, or an object with \"tools\"); replies are parsed for tool calls.")
    var tools: String?

    mutating func run() async throws {
        if listDevices {
            print(BackendChoice.deviceListing())
            return
        }
        guard BackendChoice.names.contains(backend) else {
            throw ValidationError("Unknown backend '\(backend)' (available: \(BackendChoice.names.joined(separator: ", "))).")
        }
        guard ctx > 0, maxTokens >= 0 else { throw ValidationError("--ctx must be positive and --max-tokens not negative.") }
        do {
            try await chat()
        } catch {
            Self.log("llama-cli: error: \(error)")
            throw ExitCode.failure
        }
    }

    private func chat() async throws {
        let loadStart = Date()
        Self.log("loading \(model) ...")
        var shown = -1
        let languageModel = try LanguageModel.load(path: model, backend: BackendChoice.make(name: backend, device: device, threads: threads, cpuActivations: activations)) { done, total in
            // A progress line for large files (a GPU backend uploads here; the CPU maps and reads ahead).
            guard total > 256 << 20 else { return }
            let percent = done * 100 / max(total, 1)
            if percent != shown {
                shown = percent
                FileHandle.standardError.write(Data("\rloading: \(percent)% of \(total >> 20) MiB".utf8))
                if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
            }
        }
        let c = languageModel.configuration
        Self.log(String(format: "loaded in %.2f s: %d layers, hidden %d, %d/%d heads, vocab %d", Date().timeIntervalSince(loadStart),
                        c.layerCount, c.hiddenSize, c.headCount, c.kvHeadCount, c.vocabularySize))
        let options = GenerationOptions(
            maxTokens: maxTokens,
            sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                         repetitionPenalty: repeatPenalty, seed: seed))

        if raw {
            guard let prompt else { throw ValidationError("--raw needs --prompt.") }
            let session = try Session(model: languageModel, contextLength: ctx)
            let result = try session.generate(prompt: session.encode(prompt), options: options, onText: Self.write)
            Self.finish(result)
            return
        }
        let chat = try ChatSession(model: languageModel, contextLength: ctx, systemPrompt: system, tools: try tools.map(Self.loadTools))
        if let prompt {
            Self.finish(try await chat.reply(to: [.user(prompt)], options: options, onText: { _ = Self.write($0) }))
            return
        }
        Self.log("interactive chat: type a message, an empty line or Ctrl-D to quit.")
        while true {
            FileHandle.standardError.write(Data("> ".utf8))
            guard let line = readLine(), !line.isEmpty else { break }
            do {
                Self.finish(try await chat.reply(to: [.user(line)], options: options, onText: { _ = Self.write($0) }))
            } catch let error as ModelError {
                Self.log("llama-cli: \(error)")
            }
        }
    }

    /// Tool definitions from a JSON file, key order kept (the template prints them as given).
    private static func loadTools(_ path: String) throws -> [ChatTool] {
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        let json = try JSONValue(parsing: text)
        guard let list = json.arrayValue ?? json["tools"]?.arrayValue else {
            throw ValidationError("\(path) must hold a JSON array of tools or an object with a \"tools\" array")
        }
        return try list.map { try ChatTool(json: $0) }
    }

    /// Prints the reply's tool calls, one per line, after its text.
    private static func finish(_ reply: ChatSession.Reply) {
        finish(reply.generation)
        switch reply.output {
        case let .toolCalls(calls, _):
            for call in calls {
                FileHandle.standardOutput.write(Data("tool call: \(call.name) \(call.arguments.pythonJSON())\n".utf8))
            }
            if reply.end == .endOfMessage { log("the model waits for the tool results (<|eom_id|>)") }
        case let .malformed(_, reason):
            log("the reply looks like a tool call but cannot be parsed: \(reason)")
        case .text:
            break
        }
    }

    private static func write(_ piece: String) -> Bool {
        FileHandle.standardOutput.write(Data(piece.utf8))
        return true
    }

    private static func finish(_ result: GenerationResult) {
        FileHandle.standardOutput.write(Data("\n".utf8))
        let s = result.stats
        log(String(format: "prompt: %d tokens (%d evaluated) in %.3f s, %.1f tokens/s | first token after %.3f s | generation: %d tokens in %.3f s, %.1f tokens/s | stop: %@",
                   s.promptTokens, s.evaluatedPromptTokens, s.promptSeconds, s.promptTokensPerSecond, s.timeToFirstToken,
                   s.generatedTokens, s.generationSeconds, s.generationTokensPerSecond, "\(result.stopReason)"))
    }

    private static func log(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
