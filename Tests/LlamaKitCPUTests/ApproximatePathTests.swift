import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// The opt-in 8-bit-activation decode path: bounded error per matvec, and its effect on SmolLM2's
/// next-token distribution measured against the exact float32 path.
@Suite("8-bit activations (approximate path)")
struct ApproximatePathTests {
    /// Rounding x to 32-value blocks with scale d = max|x|/127 moves each x by at most d/2, so a row's dot
    /// product moves by at most sum over blocks of (d/2) · sum|w| (plus float rounding).
    @Test(arguments: [TensorType.q4_0, .q4_1, .q8_0])
    func matvecErrorIsWithinTheRoundingBound(type: TensorType) throws {
        let file = try GGUFFile(path: TestSupport.fixtures.appendingPathComponent("quant/types.gguf").path)
        let host = try file.tensor(type.description)
        let weights = try TestSupport.npy("quant/\(type)_dequant.npy").values
        let x = try TestSupport.npy("quant/x.npy").values.map(Float.init)
        let exact = try TestSupport.npy("quant/\(type)_matvec.npy").values
        let backend = CPUBackend(threads: 2, activationPrecision: .int8)
        let input = try backend.makeTensor(type: .f32, rows: 1, columns: host.columns)
        let output = try backend.makeTensor(type: .f32, rows: 1, columns: host.rows)
        try backend.write(x, to: input, firstRow: 0)
        try backend.matmul(input, weight: backend.weight(host), into: output, rows: 1)
        let y = try backend.read(output, rows: 0 ..< 1)
        var anyDifference = false
        for row in 0 ..< host.rows {
            var bound = 0.0
            for block in 0 ..< host.columns / 32 {
                let range = block * 32 ..< block * 32 + 32
                let d = Double(range.map { abs(x[$0]) }.max() ?? 0) / 127
                bound += d / 2 * range.map { abs(weights[row * host.columns + $0]) }.reduce(0, +)
            }
            let error = abs(Double(y[row]) - exact[row])
            anyDifference = anyDifference || error > 1e-6 * abs(exact[row])
            #expect(error <= bound * 1.01 + 1e-4 * abs(exact[row]) + 1e-5, "\(type) row \(row): error \(error) > bound \(bound)")
        }
        #expect(anyDifference, "the int8 path should differ from the exact one (is it really used?)")
    }

    @Test("KL divergence against the exact path on SmolLM2")
    func klAgainstExactPath() throws {
        let gguf = try GGUFFile(path: TestSupport.modelPath)
        let exact = try LlamaModel(gguf: gguf, backend: CPUBackend(threads: 2))
        let approximate = try LlamaModel(gguf: gguf, backend: CPUBackend(threads: 2, activationPrecision: .int8))
        let long = try #require(try ModelParityTests.logitsCases().first { $0.positions.count >= 32 })
        // Decode token by token (the int8 path applies to single-row matmuls).
        let (s1, s2) = (try exact.makeState(contextLength: 64), try approximate.makeState(contextLength: 64))
        var totalKL = 0.0, worstKL = 0.0, agree = 0
        for id in long.ids {
            let p = try exact.forward([id], state: s1), q = try approximate.forward([id], state: s2)
            let kl = Self.kl(p, q)
            totalKL += kl
            worstKL = max(worstKL, kl)
            if Sampler.argmax(p) == Sampler.argmax(q) { agree += 1 }
        }
        let meanKL = totalKL / Double(long.ids.count)
        let agreement = Double(agree) / Double(long.ids.count)
        print("int8 activations vs float32 on SmolLM2 (\(long.ids.count) positions): mean KL \(meanKL), max KL \(worstKL), argmax agreement \(agreement)")
        #expect(meanKL > 0, "the paths should differ")
        #expect(meanKL < 0.02 && agreement >= 0.9, "mean KL \(meanKL), argmax agreement \(agreement)")
    }

    /// KL(softmax(p) ‖ softmax(q)) in float64.
    static func kl(_ p: [Float], _ q: [Float]) -> Double {
        func logSoftmax(_ v: [Float]) -> [Double] {
            let m = Double(v.max() ?? 0)
            let lse = m + log(v.reduce(0.0) { $0 + exp(Double($1) - m) })
            return v.map { Double($0) - lse }
        }
        let lp = logSoftmax(p), lq = logSoftmax(q)
        return zip(lp, lq).reduce(0.0) { $0 + exp($1.0) * ($1.0 - $1.1) }
    }
}
