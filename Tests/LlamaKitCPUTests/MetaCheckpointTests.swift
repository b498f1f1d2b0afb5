import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// Meta's original format (params.json + consolidated.NN.pth) and the restricted unpickler.
@Suite("Meta original checkpoints")
struct MetaCheckpointTests {
    static func pth(_ name: String) -> String { TestSupport.fixtures.appendingPathComponent("pth/\(name)").path }

    /// Llama-2 style f32 (embedding split along dim 1) and Llama 3.1 style bf16 with `use_scaled_rope`
    /// (embedding split along dim 0), each as one shard and as a 2-way split.
    @Test("1 shard and a 2-way model-parallel split give transformers' logits",
          arguments: ["llama2_f32", "llama31_meta_bf16"], ["meta_1", "meta_2"])
    func logitsMatch(model name: String, variant: String) throws {
        let folder = HuggingFaceCheckpointTests.folder(name) + "/" + variant
        let loaded = try CheckpointModel.load(folder: folder, backend: CPUBackend(threads: 2))
        #expect(loaded.format == .meta)
        let model = loaded.network
        #expect(model.configuration.intermediateSize == 192)
        let cases = try HuggingFaceCheckpointTests.cases(name)
        for n in [1, 16, 300] {
            let ids = try #require(cases.sequences[n])
            let reference = try TestSupport.npy("hf/\(name)/reference/logits_\(n).npy")
            let logits = try model.forward(ids, state: try model.makeState(contextLength: n, batchCapacity: 128), logits: .allPositions)
            let diff = HuggingFaceCheckpointTests.maxAbsDiff(logits, reference.values)
            print("\(name) \(variant) \(n) tokens: max abs diff vs transformers = \(diff)")
            #expect(logits.count == reference.values.count)
            #expect(diff < 5e-4, "\(variant), \(n) tokens: max abs diff \(diff)")
        }
    }

    @Test("state dict: OrderedDict with _metadata, bf16/f16/f32 storages read in place")
    func stateDict() throws {
        let file = try PyTorchCheckpoint(path: Self.pth("state_dict.pth"))
        #expect(file.tensorNames == ["a", "f", "h", "t"])
        let a = try file.tensor("a").convertedToF32()
        #expect(a.rows == 2 && a.columns == 3)
        #expect(Array(a.bytes.bindMemory(to: Float.self)) == [0, 1, 2, 3, 4, 5])
        let h = try file.tensor("h").convertedToF32()
        #expect(Array(h.bytes.bindMemory(to: Float.self)) == [0, 0.5, 1, 1.5])
        let f = try file.tensor("f")
        #expect(f.type == .f32 && Array(f.bytes.bindMemory(to: Float.self)) == [-1.5, -0.5, 0.5, 1.5])
        #expect(throws: PyTorchError.self) { try file.tensor("t") }  // a transposed view is not contiguous
    }

    @Test("any global outside the allow-list is refused (nothing is executed)")
    func forbiddenGlobals() throws {
        #expect(throws: PyTorchError.forbiddenGlobal(module: "posix", name: "system")) {
            _ = try PyTorchCheckpoint(path: Self.pth("evil_global.pth"))
        }
        #expect(throws: PyTorchError.forbiddenGlobal(module: "builtins", name: "eval")) {
            _ = try PyTorchCheckpoint(path: Self.pth("evil_stack.pth"))
        }
        #expect(throws: PyTorchError.self) { _ = try PyTorchCheckpoint(path: Self.pth("compressed.pth")) }
    }

    @Test("params.json: FFN width as Meta computes it; bad values are typed errors")
    func params() throws {
        // Llama 3 8B: dim 4096, multiplier 1.3, multiple_of 1024 → 14336.
        let llama3 = try MetaConfiguration(data: Data(#"{"dim": 4096, "n_layers": 32, "n_heads": 32, "n_kv_heads": 8, "vocab_size": 128256, "multiple_of": 1024, "ffn_dim_multiplier": 1.3, "norm_eps": 1e-05, "rope_theta": 500000.0, "use_scaled_rope": true}"#.utf8))
        #expect(llama3.llama.intermediateSize == 14336)
        #expect(llama3.ropeScaling == .llama31)
        // Llama 2 7B: vocab_size -1 falls back to the embedding's rows; FFN 11008.
        let llama2 = try MetaConfiguration(data: Data(#"{"dim": 4096, "multiple_of": 256, "n_heads": 32, "n_layers": 32, "norm_eps": 1e-06, "vocab_size": -1}"#.utf8), vocabularySizeFallback: 32000)
        #expect(llama2.llama.intermediateSize == 11008 && llama2.llama.vocabularySize == 32000)
        #expect(throws: ModelError.self) {
            _ = try MetaConfiguration(data: Data(#"{"dim": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 3, "vocab_size": 256}"#.utf8))
        }
        #expect(throws: CheckpointError.self) {
            _ = try MetaConfiguration(data: Data(#"{"dim": 64, "n_heads": 4, "vocab_size": 256}"#.utf8))
        }
    }
}
