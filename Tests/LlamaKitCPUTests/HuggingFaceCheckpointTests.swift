import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// Small random Hugging Face checkpoints (Tests/Fixtures/make_hf_models.py) against transformers' float32
/// logits: sharded bf16 with llama3 RoPE scaling and GQA, tied f16, Llama-2 style f32.
@Suite("Hugging Face folders against transformers")
struct HuggingFaceCheckpointTests {
    static let models = ["llama3_sharded_bf16", "tied_f16", "llama2_f32"]

    static func folder(_ name: String) -> String { TestSupport.fixtures.appendingPathComponent("hf/\(name)").path }

    struct Cases {
        let sequences: [Int: [Int32]]
        let greedy: [Int: [Int32]]
    }

    static func cases(_ model: String) throws -> Cases {
        let root = try #require(try TestSupport.json("hf/\(model)/reference/cases.json") as? [String: Any])
        func table(_ key: String) throws -> [Int: [Int32]] {
            let raw = try #require(root[key] as? [String: [Int]])
            return Dictionary(uniqueKeysWithValues: raw.map { (Int($0.key) ?? -1, $0.value.map(Int32.init)) })
        }
        return Cases(sequences: try table("sequences"), greedy: try table("greedy"))
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { max($0, abs(Double($1.0) - $1.1)) }
    }

    @Test("logits of 1, 16 and 300 tokens within 5e-4 of transformers", arguments: models + ["llama31_meta_bf16"])
    func logitsMatch(model name: String) throws {
        let model = try CheckpointModel.load(folder: Self.folder(name), backend: CPUBackend(threads: 2)).network
        let cases = try Self.cases(name)
        for n in [1, 16, 300] {
            let ids = try #require(cases.sequences[n])
            let reference = try TestSupport.npy("hf/\(name)/reference/logits_\(n).npy")
            #expect(reference.shape == [n, model.configuration.vocabularySize])
            let state = try model.makeState(contextLength: n, batchCapacity: 128)
            let logits = try model.forward(ids, state: state, logits: .allPositions)
            let diff = Self.maxAbsDiff(logits, reference.values)
            print("\(name) \(n) tokens: max abs diff vs transformers = \(diff)")
            #expect(logits.count == reference.values.count)
            #expect(diff < 5e-4, "\(name), \(n) tokens: max abs diff \(diff)")
        }
    }

    @Test("greedy continuations identical; incremental decoding equals one-shot", arguments: models)
    func greedyAndIncremental(model name: String) throws {
        let model = try CheckpointModel.load(folder: Self.folder(name), backend: CPUBackend(threads: 2)).network
        let vocab = model.configuration.vocabularySize
        let cases = try Self.cases(name)
        for (n, expected) in cases.greedy {
            let prompt = try #require(cases.sequences[n])
            let state = try model.makeState(contextLength: prompt.count + expected.count)
            var logits = try model.forward(prompt, state: state)
            var produced: [Int32] = []
            for _ in expected.indices {
                let next = Sampler.argmax(logits)
                produced.append(next)
                logits = try model.forward([next], state: state)
            }
            #expect(produced == expected, "\(name) greedy after \(n) tokens")
        }
        // One token at a time through the KV cache gives the same logits as one pass over all 16.
        let ids = try #require(cases.sequences[16])
        let oneShot = try model.forward(ids, state: try model.makeState(contextLength: 16), logits: .allPositions)
        let state = try model.makeState(contextLength: 16)
        var worst: Float = 0
        for (i, id) in ids.enumerated() {
            let step = try model.forward([id], state: state)
            for j in 0 ..< vocab { worst = max(worst, abs(step[j] - oneShot[i * vocab + j])) }
        }
        #expect(worst < 1e-4, "\(name): incremental vs one-shot max abs diff \(worst)")
    }

    @Test("config.json and generation_config.json are read (both RoPE spellings, eos lists)")
    func configuration() throws {
        var reports: [(Int, Int)] = []
        let sharded = try CheckpointModel.load(folder: Self.folder("llama3_sharded_bf16"), backend: CPUBackend(threads: 1)) {
            reports.append(($0, $1))
        }
        // Load progress: one report per tensor, ending at the checkpoint's total bytes.
        #expect(reports.count == 3 * 9 + 3)
        #expect(reports.last.map { $0.0 == $0.1 && $0.1 == sharded.storedWeightBytes } == true)
        #expect(sharded.format == .huggingFace)
        #expect(sharded.eosTokenIDs == [2, 3])
        #expect(sharded.bosTokenID == 1)
        #expect(sharded.generationDefaults?.temperature == 0.6)
        #expect(sharded.generationDefaults?.topP == 0.9)
        #expect(sharded.network.configuration.kvHeadCount == 2)
        #expect(sharded.network.configuration.layerCount == 3)
        // Weights are kept in their stored type: only the f32 norm copies add bytes.
        #expect(sharded.loadedWeightBytes < sharded.storedWeightBytes * 11 / 10)
        let old = try HuggingFaceConfiguration(folder: Self.folder("llama3_sharded_bf16"))  // rope_scaling, int factors
        let new = try HuggingFaceConfiguration(folder: Self.folder("tied_f16"))  // rope_parameters
        #expect(old.ropeScaling == Llama3RopeScaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContextLength: 64))
        #expect(old.ropeScaling == new.ropeScaling)
        #expect(new.llama.ropeTheta == 500000)
        #expect(new.tieWordEmbeddings)
        let plain = try HuggingFaceConfiguration(folder: Self.folder("llama2_f32"))
        #expect(plain.ropeScaling == nil && plain.llama.ropeTheta == 10000)
    }

    @Test("llama3 scaling: each frequency regime as transformers computes it")
    func llama3Frequencies() {
        let scaling = Llama3RopeScaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContextLength: 64)
        let base = RotaryEmbedding.inverseFrequencies(headDim: 16, theta: 500000)
        let scaled = scaling.apply(to: base)
        // wavelength 2π < 16: unchanged; > 64: divided by 8; between: interpolated strictly between.
        #expect(scaled[0] == base[0])
        #expect(scaled[7] == base[7] / 8)
        #expect(scaled[1] < base[1] && scaled[1] > base[1] / 8)
    }

    @Test("bad config.json values → typed errors")
    func badConfiguration() {
        func config(_ text: String) throws -> HuggingFaceConfiguration { try HuggingFaceConfiguration(data: Data(text.utf8)) }
        let base = #""hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "vocab_size": 256"#
        #expect(throws: ModelError.self) { try config("{\(base), \"num_attention_heads\": 4, \"num_key_value_heads\": 3}") }
        #expect(throws: ModelError.self) { try config("{\(base), \"num_attention_heads\": 6}") }
        #expect(throws: CheckpointError.self) { try config("{\(base)}") }
        #expect(throws: CheckpointError.self) { try config("{\(base), \"num_attention_heads\": \"4\"}") }
        #expect(throws: CheckpointError.self) {
            try config("{\(base), \"num_attention_heads\": 4, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}")
        }
        #expect(throws: CheckpointError.self) {
            try config("{\(base), \"num_attention_heads\": 4, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8}}")
        }
        #expect(throws: CheckpointError.self) { try config("[1, 2]") }
        #expect(throws: CheckpointError.self) { try CheckpointModel.load(folder: NSTemporaryDirectory(), backend: CPUBackend(threads: 1)) }
    }
}
