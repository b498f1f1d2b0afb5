import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// The CPU attention kernel against a naive float64 implementation of its definition (scores, softmax,
/// weighted values) on random inputs: decode with the cached positions split across threads, decode too
/// short to split, prompt rows with grouped heads, and plain multi-head attention, at every level.
@Suite("Attention kernel against its float64 definition")
struct AttentionKernelTests {
    struct Shape: Sendable, CustomStringConvertible {
        let heads, kvHeads, headDim, rows, firstPosition: Int
        var description: String { "\(heads)/\(kvHeads) heads of \(headDim), \(rows) rows at \(firstPosition)" }
    }

    static let shapes = [
        Shape(heads: 9, kvHeads: 3, headDim: 64, rows: 1, firstPosition: 300),    // split across threads
        Shape(heads: 32, kvHeads: 8, headDim: 128, rows: 1, firstPosition: 1000), // Llama 3 8B-shaped
        Shape(heads: 9, kvHeads: 3, headDim: 64, rows: 1, firstPosition: 7),      // too short to split
        Shape(heads: 8, kvHeads: 2, headDim: 128, rows: 5, firstPosition: 30),    // prompt rows
        Shape(heads: 4, kvHeads: 4, headDim: 32, rows: 3, firstPosition: 0),      // multi-head, from empty
    ]

    @Test(arguments: shapes)
    func matchesTheDefinition(shape s: Shape) throws {
        var generator = SeededGenerator(seed: UInt64(s.heads * 1000 + s.firstPosition))
        func random(_ count: Int) -> [Float] { (0 ..< count).map { _ in Float(Int(generator.next() % 2001) - 1000) / 500 } }
        let context = s.firstPosition + s.rows
        let kvWidth = s.kvHeads * s.headDim, qWidth = s.heads * s.headDim
        let q = random(s.rows * qWidth), k = random(context * kvWidth), v = random(context * kvWidth)
        let scale = 1 / Float(s.headDim).squareRoot()

        // out[r, h] = Σ_j softmax_j(q[r, h] · k[j, g] · scale) v[j, g], j ≤ firstPosition + r, g = h / group.
        var expected = [Double](repeating: 0, count: s.rows * qWidth)
        let group = s.heads / s.kvHeads
        for r in 0 ..< s.rows {
            for h in 0 ..< s.heads {
                let g = h / group, n = s.firstPosition + r + 1
                let qBase = r * qWidth + h * s.headDim
                var scores = [Double](repeating: 0, count: n)
                for j in 0 ..< n {
                    let kBase = j * kvWidth + g * s.headDim
                    var dot = 0.0
                    for d in 0 ..< s.headDim { dot += Double(q[qBase + d]) * Double(k[kBase + d]) }
                    scores[j] = dot * Double(scale)
                }
                let top = scores.max() ?? 0
                let weights = scores.map { exp($0 - top) }
                let total = weights.reduce(0, +)
                for j in 0 ..< n {
                    let vBase = j * kvWidth + g * s.headDim
                    for d in 0 ..< s.headDim { expected[qBase + d] += weights[j] * Double(v[vBase + d]) / total }
                }
            }
        }

        for level in DecodeKernelTests.levels {
            for threads in [1, 2] {
                let backend = CPUBackend(threads: threads, instructionSet: level)
                let (qt, kt, vt) = (try backend.makeTensor(type: .f32, rows: s.rows, columns: qWidth),
                                    try backend.makeTensor(type: .f32, rows: context, columns: kvWidth),
                                    try backend.makeTensor(type: .f32, rows: context, columns: kvWidth))
                let out = try backend.makeTensor(type: .f32, rows: s.rows, columns: qWidth)
                try backend.write(q, to: qt, firstRow: 0)
                try backend.write(k, to: kt, firstRow: 0)
                try backend.write(v, to: vt, firstRow: 0)
                try backend.attention(query: qt, keys: kt, values: vt, into: out, rows: s.rows, firstPosition: s.firstPosition,
                                      heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim, scale: scale)
                let got = try backend.read(out, rows: 0 ..< s.rows)
                let worst = zip(got, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
                #expect(worst < 2e-5, "\(s), \(level), \(threads) threads: max error \(worst)")
            }
        }
    }
}
