import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// Prompt batches on the exact path, at every instruction-set level this machine runs: the AVX-512 tiles
/// (matmul_f32_avx512.c) and, below AVX-512, OpenBLAS's sgemm on expanded rows.
@Suite("Exact prompt batches against gguf-py")
struct ExactBatchTests {
    /// The kernel fixture widened threefold (three rows side by side: 21 blocks of 32, 9 super-blocks, or 1557
    /// floats, so rows span several of the tiles' 256-element chunks and end in a partial one where the type
    /// allows) and stacked three times (111 rows: two blocks of 96 rows, the last six-row group partial),
    /// against 81 tokens (a full tile of 64 and a partial one, whose second vector holds one token). Token t's
    /// x is the fixture's x in each segment times ±2^j, so every reference is a sum of gguf-py's float64
    /// products. Every output must match to 1e-5 of Σ|w·x|. (Mutations caught: a chunk's last element
    /// dropped, Q6_K's scales of neighbouring groups swapped, the partial tile's last vector dropped.)
    @Test(arguments: TensorTypeTests.types)
    func batchesMatchGGUFPy(type: TensorType) throws {
        let c = try DecodeKernelTests.load(type)
        let (rows, columns, segments, stack, tokens) = (c.host.rows, c.host.columns, 3, 3, 81)
        let wide = DecodeKernelTests.wide(c.host, segments: segments)
        let allocation = HostAllocation(count: wide.bytes.count * stack)
        for copy in 0 ..< stack {
            if let base = wide.bytes.baseAddress {
                (allocation.pointer + copy * wide.bytes.count).copyMemory(from: base, byteCount: wide.bytes.count)
            }
        }
        let weights = HostTensor(name: "stacked", type: type, rows: rows * stack, columns: wide.columns,
                                 bytes: allocation.buffer, owner: allocation)

        func factor(_ t: Int, _ s: Int) -> Float { ((t + 1) >> s & 1 == 1 ? -1 : 1) * [0.5, 1, 2, 4][(t + s) % 4] }
        var x: [Float] = []
        for t in 0 ..< tokens { for s in 0 ..< segments { x += c.x.map { $0 * factor(t, s) } } }

        for level in DecodeKernelTests.levels {
            for threads in [1, 2] {
                let backend = CPUBackend(threads: threads, instructionSet: level)
                let input = try backend.makeTensor(type: .f32, rows: tokens, columns: columns * segments)
                let output = try backend.makeTensor(type: .f32, rows: tokens, columns: weights.rows)
                try backend.write(x, to: input, firstRow: 0)
                try backend.matmul(input, weight: backend.weight(weights), into: output, rows: tokens)
                let y = try backend.read(output, rows: 0 ..< tokens)
                for t in 0 ..< tokens {
                    for row in 0 ..< weights.rows {
                        var reference = 0.0, magnitude = 0.0
                        for s in 0 ..< segments {
                            let f = Double(factor(t, s)), base = (row % rows + s) % rows
                            reference += f * c.reference[base]
                            magnitude += abs(f) * c.magnitude[base]
                        }
                        let error = abs(Double(y[t * weights.rows + row]) - reference)
                        #expect(error <= 1e-5 * magnitude + 1e-30,
                                "\(type) \(level) \(threads) threads token \(t) row \(row): \(y[t * weights.rows + row]) vs \(reference)")
                    }
                }
            }
        }
    }
}
