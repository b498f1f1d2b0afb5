import Foundation
import LlamaKit
import LlamaKitCPU
import LlamaKitTestSupport
import Testing

/// Hostile or mistaken input ends in a typed error with a clear message, never a crash.
@Suite("Bad input")
struct BadInputTests {
    @Test func tokenIDsOutOfRange() throws {
        let model = try TestSupport.model()
        let state = try model.network.makeState(contextLength: 16)
        #expect(throws: ModelError.tokenOutOfRange(id: 49152, vocabularySize: 49152)) { try model.network.forward([1, 49152], state: state) }
        #expect(throws: ModelError.tokenOutOfRange(id: -1, vocabularySize: 49152)) { try model.network.forward([-1], state: state) }
        #expect(throws: ModelError.emptyInput) { try model.network.forward([], state: state) }
        #expect(state.position == 0, "a rejected call must not advance the cache")
    }

    @Test func promptLongerThanTheContext() throws {
        let model = try TestSupport.model()
        let session = try Session(model: model, contextLength: 16)
        let prompt = session.encode(String(repeating: "hello world ", count: 20))
        #expect(throws: ModelError.contextOverflow(needed: prompt.count + 1, contextLength: 16)) {
            try session.generate(prompt: prompt)
        }
        let state = try model.network.makeState(contextLength: 8)
        #expect(throws: ModelError.contextOverflow(needed: 9, contextLength: 8)) { try model.network.forward(Array(repeating: 1, count: 9), state: state) }
        // Generation that fills the context stops cleanly.
        let small = try Session(model: model, contextLength: 12)
        let result = try small.generate(prompt: small.encode("Once upon a time"), options: GenerationOptions(maxTokens: 100, sampling: .greedy))
        #expect(result.stopReason == .contextFull || result.stopReason != .maxTokens)
    }

    @Test func missingOrMisshapenTensors() throws {
        let backend = CPUBackend(threads: 1)
        let tiny = GGUFBuilder.tinyLlama()
        let model = try LlamaModel(gguf: GGUFFile(path: tiny.write()), backend: backend)
        let logits = try model.forward([1, 2, 3], state: model.makeState(contextLength: 8))
        #expect(logits.count == 16 && logits.allSatisfy(\.isFinite))

        var missing = tiny
        missing.tensors.removeAll { $0.name == "blk.1.ffn_down.weight" }
        #expect(throws: GGUFError.missingTensor("blk.1.ffn_down.weight")) { try LlamaModel(gguf: GGUFFile(path: missing.write()), backend: backend) }

        var misshapen = tiny
        let index = try #require(misshapen.tensors.firstIndex { $0.name == "blk.0.attn_k.weight" })
        misshapen.tensors[index] = GGUFBuilder.f32Tensor("blk.0.attn_k.weight", rows: 8, columns: 8)
        #expect(throws: GGUFError.wrongTensorShape(tensor: "blk.0.attn_k.weight", expected: [8, 4], found: [8, 8])) {
            try LlamaModel(gguf: GGUFFile(path: misshapen.write()), backend: backend)
        }

        var noNorm = tiny
        noNorm.tensors.removeAll { $0.name == "output_norm.weight" }
        #expect(throws: GGUFError.missingTensor("output_norm.weight")) { try LlamaModel(gguf: GGUFFile(path: noNorm.write()), backend: backend) }
    }

    @Test func truncatedModelFile() throws {
        // The real model cut in half: the tensor directory points past the end.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: TestSupport.modelPath), options: .alwaysMapped)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("truncated-\(UUID()).gguf").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: GGUFError.self) { try LanguageModel.load(path: path, backend: CPUBackend(threads: 1)) }
    }
}
