import Foundation
import LlamaKit
import LlamaKitOpenCL
import LlamaKitTestSupport
import Testing

/// SmolLM2-135M-Instruct (Q4_1) on the OpenCL backend against the transformers reference
/// (Tests/Fixtures/smollm2, float32): logits, argmax at every recorded position, greedy continuations.
///
/// The bound is the 1e-2; float32 kernels land near 1e-4 (printed). Serialized: the cases share
/// one device queue, and running them one after another keeps PoCL's two threads on one model at a time.
@Suite("SmolLM2 on OpenCL against transformers", .serialized)
struct OpenCLModelParityTests {
    typealias LogitsCase = Fixtures.LogitsCase

    static func logitsCases() throws -> [LogitsCase] { try Fixtures.logitsCases() }

    @Test("logits within 1e-2 of transformers at every recorded position (≈1e-4 expected), argmax identical")
    func logitsMatchReference() throws {
        let model = try OpenCLTestSupport.model()
        #expect(model.network.backend.name == "opencl")
        let vocab = model.configuration.vocabularySize
        let subset = try OpenCLTestSupport.npy("smollm2/subset_ids.npy").values.map(Int.init)
        let cases = try Self.logitsCases()
        #expect(cases.contains { $0.positions.count >= 32 })
        var worst = 0.0
        var positionsChecked = 0
        for c in cases {
            let subsetReference = try OpenCLTestSupport.npy("smollm2/\(c.filePrefix)_subset.npy")
            let topIDs = try OpenCLTestSupport.npy("smollm2/\(c.filePrefix)_top_ids.npy")
            let topLogits = try OpenCLTestSupport.npy("smollm2/\(c.filePrefix)_top_logits.npy")
            let argmax = try OpenCLTestSupport.npy("smollm2/\(c.filePrefix)_argmax.npy")
            let all = c.positions.count > 1
            // Chunks of 23 send the 47-token case through the batch kernel twice, then one row through
            // matvec, with a KV cache filled across chunks.
            let state = try model.network.makeState(contextLength: c.ids.count, batchCapacity: all ? 23 : 256)
            let logits = try model.network.forward(c.ids, state: state, logits: all ? .allPositions : .lastPosition)
            for (index, position) in c.positions.enumerated() {
                let row = c.rowOffset + index
                let ours = all ? Array(logits[position * vocab ..< (position + 1) * vocab]) : logits
                var maxDiff = 0.0
                for (j, id) in subset.enumerated() {
                    maxDiff = max(maxDiff, abs(Double(ours[id]) - subsetReference.values[row * subset.count + j]))
                }
                let k = topIDs.shape[1]
                for j in 0 ..< k {
                    maxDiff = max(maxDiff, abs(Double(ours[Int(topIDs.values[row * k + j])]) - topLogits.values[row * k + j]))
                }
                #expect(Int(Sampler.argmax(ours)) == Int(argmax.values[row]), "\(c.name)@\(position): argmax differs")
                #expect(maxDiff < 1e-2, "\(c.name)@\(position): max abs diff \(maxDiff)")
                worst = max(worst, maxDiff)
                positionsChecked += 1
            }
        }
        print("SmolLM2 on OpenCL: worst max abs diff vs transformers = \(worst) over \(positionsChecked) positions")
    }

    @Test("the long prompt through the GPU kernels (tiled matmul, group attention): within 1e-2, argmax identical")
    func tiledKernelLogits() throws {
        let backend = try OpenCLBackend(device: try OpenCLTestSupport.backend().device.index,
                                        options: .init(kernels: .gpu, cpuThreads: 2))
        #expect(backend.kernels == .gpu)
        let network = try LlamaModel(gguf: GGUFFile(path: OpenCLTestSupport.modelPath), backend: backend)
        let c = try #require(try Self.logitsCases().first { $0.positions.count >= 32 })
        let vocab = network.configuration.vocabularySize
        let subset = try OpenCLTestSupport.npy("smollm2/subset_ids.npy").values.map(Int.init)
        let reference = try OpenCLTestSupport.npy("smollm2/\(c.filePrefix)_subset.npy")
        let argmax = try OpenCLTestSupport.npy("smollm2/\(c.filePrefix)_argmax.npy")
        let logits = try network.forward(c.ids, state: network.makeState(contextLength: c.ids.count), logits: .allPositions)
        var worst = 0.0
        for (index, position) in c.positions.enumerated() {
            let row = c.rowOffset + index
            let ours = Array(logits[position * vocab ..< (position + 1) * vocab])
            for (j, id) in subset.enumerated() {
                worst = max(worst, abs(Double(ours[id]) - reference.values[row * subset.count + j]))
            }
            #expect(Int(Sampler.argmax(ours)) == Int(argmax.values[row]), "GPU kernels: argmax differs at \(position)")
        }
        #expect(worst < 1e-2)
        print("SmolLM2 on OpenCL, GPU kernels: worst max abs diff vs transformers = \(worst)")
    }

    @Test("greedy continuations identical to transformers (raw and chat prompts)",
          arguments: ["raw_story", "raw_fact", "raw_code", "chat_france", "chat_tips", "chat_system"])
    func greedyContinuation(name: String) throws {
        let model = try OpenCLTestSupport.model()
        let root = try #require(try OpenCLTestSupport.json("smollm2/greedy.json") as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        let c = try #require(cases.first { $0["name"] as? String == name })
        let prompt = try #require(c["prompt_ids"] as? [Int]).map(Int32.init)
        let expected = try #require(c["ids_48"] as? [Int]).map(Int32.init)
        let kind = try #require(c["kind"] as? String)
        #expect(model.tokenizer.encode(try #require(c["prompt_text"] as? String), addBOS: false, parseSpecial: kind == "chat") == prompt)

        let state = try model.network.makeState(contextLength: prompt.count + expected.count)
        var logits = try model.network.forward(prompt, state: state)
        var generated: [Int32] = []
        while generated.count < expected.count {
            let token = Sampler.argmax(logits)
            generated.append(token)
            if generated.count < expected.count { logits = try model.network.forward([token], state: state) }
        }
        #expect(generated == expected, "\(name): greedy continuation differs")
        if name == "chat_france" {
            let text = try model.tokenizer.decode(Array(generated.prefix { $0 != 2 }))
            #expect(text == "The capital of France is Paris.")
        }
    }
}
