import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// The opt-in 8-bit-activation path: bounded error per matvec and per batch, and its effect on SmolLM2's
/// next-token distribution (decode and prompt prefill) measured against the exact float32 path.
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
        // Decode token by token (single-row matmuls: the decode kernels).
        let (s1, s2) = (try exact.makeState(contextLength: 64), try approximate.makeState(contextLength: 64))
        let pairs = try long.ids.map { id in (try exact.forward([id], state: s1), try approximate.forward([id], state: s2)) }
        let (meanKL, worstKL, agreement) = Self.compare(pairs)
        print("int8 activations vs float32 on SmolLM2 (\(long.ids.count) positions): mean KL \(meanKL), max KL \(worstKL), argmax agreement \(agreement)")
        #expect(meanKL > 0, "the paths should differ")
        #expect(meanKL < 0.02 && agreement >= 0.9, "mean KL \(meanKL), argmax agreement \(agreement)")
    }

    /// Prompt batches on the int8 path (the VNNI batch kernel, at the levels that have it). The kernel fixture
    /// is widened threefold, three fixture rows side by side (21 blocks of 32; Q4_K and Q6_K: 72 blocks of 32), so
    /// each row spans several of the kernel's 16-block chunks; its 37 rows make one full pass of 32 and a partial one; 11 tokens make groups of 4, 4, 2 and 1.
    /// Token t's x is the fixture's x in each of the three segments times ±2^j, so every reference is a sum of
    /// gguf-py's float64 products, int8 rounding scales exactly with it, and tokens differ in their codes'
    /// signs (a mixed-up token shows). Levels without the kernel must give the exact path's results.
    @Test(arguments: [TensorType.q4_0, .q4_1, .q8_0, .q4_K, .q6_K])
    func int8BatchesStayWithinTheirRoundingBound(type: TensorType) throws {
        let c = try DecodeKernelTests.load(type)
        let (rows, columns, segments, tokens) = (c.host.rows, c.host.columns, 3, 11)
        let wide = DecodeKernelTests.wide(c.host, segments: segments)

        // The per-row rounding bound for the fixture's x, as in the decode test.
        let bound = try DecodeKernelTests.roundingBounds(c)
        let rounded = try DecodeKernelTests.roundedReference(c)

        func factor(_ t: Int, _ s: Int) -> Float { ((t + 1) >> s & 1 == 1 ? -1 : 1) * [0.5, 1, 2][(t + s) % 3] }
        var x: [Float] = []
        for t in 0 ..< tokens { for s in 0 ..< segments { x += c.x.map { $0 * factor(t, s) } } }

        for level in DecodeKernelTests.levels {
            for threads in [1, 2] {
                let backend = CPUBackend(threads: threads, activationPrecision: .int8, instructionSet: level)
                let input = try backend.makeTensor(type: .f32, rows: tokens, columns: columns * segments)
                let output = try backend.makeTensor(type: .f32, rows: tokens, columns: rows)
                try backend.write(x, to: input, firstRow: 0)
                try backend.matmul(input, weight: backend.weight(wide), into: output, rows: tokens)
                let y = try backend.read(output, rows: 0 ..< tokens)
                var differs = false
                for t in 0 ..< tokens {
                    for row in 0 ..< rows {
                        var reference = 0.0, limit = 0.0, magnitude = 0.0, roundedValue = 0.0, roundedMagnitude = 0.0
                        for s in 0 ..< segments {
                            let f = Double(factor(t, s)), base = (row + s) % rows
                            reference += f * c.reference[base]
                            limit += abs(f) * bound[base]
                            magnitude += abs(f) * c.magnitude[base]
                            roundedValue += f * rounded.value[base]
                            roundedMagnitude += abs(f) * rounded.magnitude[base]
                        }
                        let error = abs(Double(y[t * rows + row]) - reference)
                        differs = differs || error > 1e-6 * magnitude
                        let allowed = level >= .avx512VNNI ? limit * 1.001 + 1e-5 * magnitude : 1e-5 * magnitude
                        #expect(error <= allowed, "\(type) \(level) \(threads) threads token \(t) row \(row): error \(error) > \(allowed)")
                        if level >= .avx512VNNI {
                            // Powers of two scale int8 rounding exactly, so x rounded is f times the fixture's x rounded.
                            let roundedError = abs(Double(y[t * rows + row]) - roundedValue)
                            #expect(roundedError <= 1e-5 * roundedMagnitude,
                                    "\(type) \(level) token \(t) row \(row): \(y[t * rows + row]) vs \(roundedValue) for x rounded to int8")
                        }
                    }
                }
                if level >= .avx512VNNI { #expect(differs, "\(type) \(level): the int8 batch kernel should differ from the exact path (is it used?)") }
            }
        }
    }

    @Test("Prompt prefill on the int8 path: KL against the exact path on SmolLM2")
    func prefillKLAgainstExactPath() throws {
        let gguf = try GGUFFile(path: TestSupport.modelPath)
        let exact = try LlamaModel(gguf: gguf, backend: CPUBackend(threads: 2))
        let approximate = try LlamaModel(gguf: gguf, backend: CPUBackend(threads: 2, activationPrecision: .int8))
        let long = try #require(try ModelParityTests.logitsCases().first { $0.positions.count >= 32 })
        // One batch each: every matmul of the prompt, the tied output projection included, is a batch.
        let p = try exact.forward(long.ids, state: exact.makeState(contextLength: 64), logits: .allPositions)
        let q = try approximate.forward(long.ids, state: approximate.makeState(contextLength: 64), logits: .allPositions)
        let vocab = exact.configuration.vocabularySize
        let pairs = (0 ..< long.ids.count).map { i in (Array(p[i * vocab ..< (i + 1) * vocab]), Array(q[i * vocab ..< (i + 1) * vocab])) }
        let (meanKL, worstKL, agreement) = Self.compare(pairs)
        print("int8 prefill vs float32 on SmolLM2 (\(long.ids.count) positions): mean KL \(meanKL), max KL \(worstKL), argmax agreement \(agreement)")
        if CPUBackend.InstructionSet.detected >= .avx512VNNI {
            #expect(meanKL > 0, "the paths should differ")
            #expect(meanKL < 0.02 && agreement >= 0.9, "mean KL \(meanKL), argmax agreement \(agreement)")
        } else {
            #expect(meanKL == 0, "without VNNI, int8 batches take the exact path")
        }
    }

    /// Mean and largest KL(exact ‖ approximate) over positions, and the share of positions whose argmax agrees.
    static func compare(_ pairs: [([Float], [Float])]) -> (mean: Double, worst: Double, agreement: Double) {
        let kls = pairs.map { kl($0.0, $0.1) }
        let agree = pairs.filter { Sampler.argmax($0.0) == Sampler.argmax($0.1) }.count
        return (kls.reduce(0, +) / Double(pairs.count), kls.max() ?? 0, Double(agree) / Double(pairs.count))
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
