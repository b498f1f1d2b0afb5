import ArgumentParser
import Foundation
import LlamaKit
import LlamaKitBackends
import LlamaKitCPU

/// Writes a model's float32 logits for given token ids as a NumPy .npy file: the hook for parity tests.
@main
struct LlamaLogits: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llama-logits",
        abstract: "Evaluate token ids and write float32 logits as .npy.")

    @Option(help: "Path to a GGUF model, or a Hugging Face / Meta checkpoint folder.")
    var model: String = DefaultModel.path

    @Option(help: "Comma-separated token ids, e.g. 1,2,3.")
    var ids: String

    @Flag(help: "Write logits for every position ([positions, vocab]) instead of the last one ([vocab]).")
    var allPositions = false

    @Option(help: "Output .npy file.")
    var out: String

    @Option(help: "Compute backend: cpu or opencl.")
    var backend: String = "cpu"

    @Option(help: "OpenCL device index (default: the first GPU); `llama-cli --list-devices` lists them.")
    var device: Int?

    @Option(help: "Threads for the CPU backend.")
    var threads: Int?

    @Option(help: "Quantize a checkpoint folder's matrices on load: q8_0 or q4_0.")
    var quantize: String?

    @Option(help: "Batch size for prompt evaluation.")
    var batch: Int = 256

    mutating func run() throws {
        do {
            let tokens = try parseIDs(ids)
            guard BackendChoice.names.contains(backend) else {
                throw ValidationError("Unknown backend '\(backend)' (available: \(BackendChoice.names.joined(separator: ", "))).")
            }
            let quantization: TensorType? = try quantize.map { name in
                guard let type = Quantizer.supportedTypes.first(where: { $0.description.lowercased() == name.lowercased() }) else {
                    throw ValidationError("--quantize must be q8_0 or q4_0, not '\(name)'.")
                }
                return type
            }
            guard quantization == nil || CheckpointModel.isFolder(self.model) else {
                throw ValidationError("--quantize applies to checkpoint folders; GGUF files keep their stored types.")
            }
            let computeBackend = try BackendChoice.make(name: backend, device: device, threads: threads)
            let model = CheckpointModel.isFolder(self.model)
                ? try LlamaModel.load(folder: self.model, backend: computeBackend, quantization: quantization)
                : try LlamaModel(gguf: GGUFFile(path: self.model), backend: computeBackend)
            let state = try model.makeState(contextLength: max(tokens.count, 1), batchCapacity: batch)
            let logits = try model.forward(tokens, state: state, logits: allPositions ? .allPositions : .lastPosition)
            let shape = allPositions ? [tokens.count, model.configuration.vocabularySize] : [model.configuration.vocabularySize]
            try NumPyFile.write(float32: logits, shape: shape, to: out)
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("llama-logits: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func parseIDs(_ text: String) throws -> [Int32] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var result: [Int32] = []
        for part in parts {
            guard let id = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("'\(part)' is not a token id (expected comma-separated integers).")
            }
            result.append(id)
        }
        guard !result.isEmpty else { throw ValidationError("--ids is empty.") }
        return result
    }
}
