import Foundation
import LlamaKit
import LlamaKitCPU
import LlamaKitTestSupport
import Testing

/// Logits and greedy continuations of SmolLM2-135M-Instruct (Q4_1) against transformers (float32, the
/// GGUF dequantized by gguf-py), recorded by Tests/Fixtures/make_reference.py.
@Suite("SmolLM2 parity with transformers")
struct ModelParityTests {
    typealias LogitsCase = Fixtures.LogitsCase

    static func logitsCases() throws -> [LogitsCase] { try Fixtures.logitsCases() }

    @Test("logits within 1e-3 of transformers at every recorded position, argmax identical")
    func logitsMatchReference() throws {
        let model = try TestSupport.model()
        let vocab = model.configuration.vocabularySize
        let subset = try TestSupport.npy("smollm2/subset_ids.npy").values.map(Int.init)
        let cases = try Self.logitsCases()
        #expect(cases.contains { $0.positions.count >= 32 }, "a case with logits at ≥ 32 positions")
        #expect(cases.filter { $0.positions.count == 1 }.count >= 8, "≥ 8 last-position cases")
        var worst = 0.0
        for c in cases {
            let references = try (subset: TestSupport.npy("smollm2/\(c.filePrefix)_subset.npy"),
                                  topIDs: TestSupport.npy("smollm2/\(c.filePrefix)_top_ids.npy"),
                                  topLogits: TestSupport.npy("smollm2/\(c.filePrefix)_top_logits.npy"),
                                  argmax: TestSupport.npy("smollm2/\(c.filePrefix)_argmax.npy"),
                                  lse: TestSupport.npy("smollm2/\(c.filePrefix)_lse.npy"))
            let all = c.positions.count > 1
            let state = try model.network.makeState(contextLength: c.ids.count)
            let logits = try model.network.forward(c.ids, state: state, logits: all ? .allPositions : .lastPosition)
            for (index, position) in c.positions.enumerated() {
                let row = c.rowOffset + index
                let ours = all ? Array(logits[position * vocab ..< (position + 1) * vocab]) : logits
                #expect(position == c.ids.count - 1 || all)
                var maxDiff = 0.0
                for (j, id) in subset.enumerated() {
                    maxDiff = max(maxDiff, abs(Double(ours[id]) - references.subset.values[row * subset.count + j]))
                }
                let k = references.topIDs.shape[1]
                for j in 0 ..< k {
                    let id = Int(references.topIDs.values[row * k + j])
                    maxDiff = max(maxDiff, abs(Double(ours[id]) - references.topLogits.values[row * k + j]))
                }
                let lse = Self.logSumExp(ours)
                #expect(abs(lse - references.lse.values[row]) < 1e-3, "\(c.name)@\(position): logsumexp \(lse) vs \(references.lse.values[row])")
                #expect(Int(Sampler.argmax(ours)) == Int(references.argmax.values[row]), "\(c.name)@\(position): argmax differs")
                #expect(maxDiff < 1e-3, "\(c.name)@\(position): max abs diff \(maxDiff)")
                worst = max(worst, maxDiff)
            }
        }
        print("SmolLM2 logits: worst max abs diff vs transformers = \(worst)")
    }

    static func logSumExp(_ values: [Float]) -> Double {
        let m = Double(values.max() ?? 0)
        return m + log(values.reduce(0.0) { $0 + exp(Double($1) - m) })
    }
}
