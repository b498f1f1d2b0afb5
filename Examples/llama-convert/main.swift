import ArgumentParser
import Foundation
import LlamaKit

/// Converts a Hugging Face Llama folder into a GGUF file (f32, f16, bf16, q8_0 or q4_0).
@main
struct LlamaConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llama-convert",
        abstract: "Write a GGUF file from a Hugging Face Llama checkpoint folder.")

    @Argument(help: "The folder with config.json and safetensors.")
    var folder: String

    @Option(help: "Output GGUF path.")
    var out: String

    @Option(help: "Matrix type: f32, f16, bf16, q8_0 or q4_0.")
    var type: String = "f16"

    mutating func run() throws {
        guard let target = TensorConversion.targets.first(where: { $0.description.lowercased() == type.lowercased() }) else {
            throw ValidationError("--type must be f32, f16, bf16, q8_0 or q4_0, not '\(type)'.")
        }
        do {
            try GGUFConverter.convert(folder: folder, to: out, type: target) { done, total in
                FileHandle.standardError.write(Data("\rtensors: \(done)/\(total)".utf8))
            }
            FileHandle.standardError.write(Data("\nwrote \(out)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("llama-convert: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
