import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// llama-convert's library half: a Hugging Face folder written as GGUF loads through GGUFFile with the
/// folder's logits (q/k permuted to interleaved pairs, llama3 scaling as rope_freqs.weight).
@Suite("GGUF conversion")
struct GGUFConversionTests {
    static let storedTypes: [String: TensorType] = ["llama3_sharded_bf16": .bf16, "tied_f16": .f16, "llama2_f32": .f32]

    static func logits(_ model: LlamaModel, _ ids: [Int32]) throws -> [Float] {
        try model.forward(ids, state: try model.makeState(contextLength: ids.count, batchCapacity: 128), logits: .allPositions)
    }

    @Test("stored type and q8_0: the GGUF gives the folder's logits over 300 tokens", arguments: HuggingFaceCheckpointTests.models)
    func roundTrip(model name: String) throws {
        let folder = HuggingFaceCheckpointTests.folder(name)
        let ids = try #require(try HuggingFaceCheckpointTests.cases(name).sequences[300])
        for type in [try #require(Self.storedTypes[name]), .q8_0, .q4_0] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-convert-\(UUID().uuidString).gguf").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try GGUFConverter.convert(folder: folder, to: path, type: type)
            let gguf = try GGUFFile(path: path)
            #expect(try gguf.string("general.architecture") == "llama")
            #expect(gguf.info("output.weight") == nil || name != "tied_f16")
            #expect((gguf.info("rope_freqs.weight") != nil) == (name != "llama2_f32"))
            let converted = try LlamaModel(gguf: gguf, backend: CPUBackend(threads: 2))
            let direct = try LlamaModel.load(folder: folder, backend: CPUBackend(threads: 2),
                                             quantization: type.isQuantized ? type : nil)
            let diff = HuggingFaceCheckpointTests.maxAbsDiff(try Self.logits(converted, ids), try Self.logits(direct, ids).map(Double.init))
            print("\(name) → GGUF \(type): max abs diff vs the folder = \(diff)")
            #expect(diff < 1e-4, "\(name) \(type): \(diff)")
        }
    }

    @Test("bf16 rounding and the q/k permutation")
    func helpers() throws {
        #expect(TensorConversion.bfloat16(1.0) == 0x3F80)
        #expect(TensorConversion.bfloat16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie → even
        #expect(TensorConversion.bfloat16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        // 2 heads of 4 rows: HF rows (0 1 | 2 3) per head become pairs (0 2 1 3).
        let allocation = HostAllocation(floats: (0 ..< 8).map(Float.init))
        let host = HostTensor(name: "q", type: .f32, rows: 8, columns: 1, bytes: allocation.buffer, owner: allocation)
        let permuted = try GGUFConverter.interleaveRotaryPairs(host, heads: 2)
        #expect(Array(permuted.bytes.bindMemory(to: Float.self)) == [0, 2, 1, 3, 4, 6, 5, 7])
    }
}
