import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// Small batches on the exact path (lk_matmul_rows, matmul_rows.c: a decode step of several sequences, a short
/// prompt), at every instruction-set level this machine runs, against gguf-py's float64 products and against the
/// single-row decode. The backends take `blasMinimumRows: 65`, so every batch here, up to 64 rows, goes to the
/// small-batch kernel.
@Suite("Small exact batches against gguf-py and decode")
struct SmallBatchTests {
    static let batches = [2, 3, 5, 8, 13, 16, 33, 64]

    /// The kernel fixture widened threefold (rows of 1557 floats, 21 blocks of 32 or 9 super-blocks: several of
    /// the kernel's 256-element chunks, the last one partial where the type allows) and stacked three times
    /// (111 rows: passes of four and eight rows and some left over). Token t's x is the fixture's x in each
    /// segment times ±2^j, so every reference is a sum of gguf-py's float64 products.
    static func stacked(_ c: DecodeKernelTests.Case, segments: Int, stack: Int) -> HostTensor {
        let wide = DecodeKernelTests.wide(c.host, segments: segments)
        let allocation = HostAllocation(count: wide.bytes.count * stack)
        for copy in 0 ..< stack {
            if let base = wide.bytes.baseAddress {
                (allocation.pointer + copy * wide.bytes.count).copyMemory(from: base, byteCount: wide.bytes.count)
            }
        }
        return HostTensor(name: "stacked", type: c.host.type, rows: c.host.rows * stack, columns: wide.columns,
                          bytes: allocation.buffer, owner: allocation)
    }

    static func factor(_ t: Int, _ s: Int) -> Float { ((t + 1) >> s & 1 == 1 ? -1 : 1) * [0.5, 1, 2, 4][(t + s) % 4] }

    static func activations(_ c: DecodeKernelTests.Case, tokens: Int, segments: Int) -> [Float] {
        var x: [Float] = []
        for t in 0 ..< tokens { for s in 0 ..< segments { x += c.x.map { $0 * factor(t, s) } } }
        return x
    }

    /// `rows` rows of x times the weights; the output is wider than the weights have rows (its rows are that
    /// far apart), and the columns past them must stay as they were.
    static func matmul(_ backend: CPUBackend, _ weights: HostTensor, _ x: [Float], rows: Int) throws -> (y: [Float], stride: Int) {
        let stride = weights.rows + 3
        let input = try backend.makeTensor(type: .f32, rows: rows, columns: weights.columns)
        let output = try backend.makeTensor(type: .f32, rows: rows, columns: stride)
        try backend.write(x, to: input, firstRow: 0)
        try backend.write([Float](repeating: 7, count: rows * stride), to: output, firstRow: 0)
        try backend.matmul(input, weight: backend.weight(weights), into: output, rows: rows)
        return (try backend.read(output, rows: 0 ..< rows), stride)
    }

    /// Every type, level, thread count and batch size: every output within 1e-5 of Σ|w·x| of gguf-py's product.
    /// (Mutations caught: the last register tile's rows stored from the first row's sums, a tile of activation
    /// rows skipped when m is not a multiple of its size, a chunk's last block not expanded.)
    @Test(arguments: TensorTypeTests.types)
    func batchesMatchGGUFPy(type: TensorType) throws {
        let c = try DecodeKernelTests.load(type)
        let (rows, segments) = (c.host.rows, 3)
        let weights = Self.stacked(c, segments: segments, stack: 3)
        let x = Self.activations(c, tokens: Self.batches.max() ?? 0, segments: segments)
        for level in DecodeKernelTests.levels {
            for threads in [1, 2] {
                let backend = CPUBackend(threads: threads, blasMinimumRows: 65, instructionSet: level)
                for m in Self.batches {
                    let (y, stride) = try Self.matmul(backend, weights, Array(x[0 ..< m * weights.columns]), rows: m)
                    for t in 0 ..< m {
                        for row in 0 ..< weights.rows {
                            var reference = 0.0, magnitude = 0.0
                            for s in 0 ..< segments {
                                let f = Double(Self.factor(t, s)), base = (row % rows + s) % rows
                                reference += f * c.reference[base]
                                magnitude += abs(f) * c.magnitude[base]
                            }
                            let value = y[t * stride + row]
                            #expect(abs(Double(value) - reference) <= 1e-5 * magnitude + 1e-30,
                                    "\(type) \(level) \(threads) threads, \(m) rows: token \(t) row \(row): \(value) vs \(reference)")
                        }
                        #expect(y[t * stride + weights.rows ..< (t + 1) * stride].allSatisfy { $0 == 7 },
                                "\(type) \(level) \(threads) threads, \(m) rows: token \(t) wrote past the weights' rows")
                    }
                }
            }
        }
    }

    /// The fixture stacked past 1 MiB (DecodeKernelTests.tall), so both threads take the long-range row order
    /// (eight distant regions per pass) and leave rows over; a few batch sizes.
    @Test(arguments: TensorTypeTests.types)
    func tallBatchesMatchGGUFPy(type: TensorType) throws {
        let c = try DecodeKernelTests.load(type)
        let tall = DecodeKernelTests.tall(c.host)
        let x = Self.activations(c, tokens: 7, segments: 1)
        for level in DecodeKernelTests.levels {
            let backend = CPUBackend(threads: 2, blasMinimumRows: 65, instructionSet: level)
            for m in [2, 7] {
                let (y, stride) = try Self.matmul(backend, tall, Array(x[0 ..< m * tall.columns]), rows: m)
                for t in 0 ..< m {
                    let f = Double(Self.factor(t, 0))
                    for row in 0 ..< tall.rows {
                        let base = row % c.host.rows
                        let error = abs(Double(y[t * stride + row]) - f * c.reference[base])
                        #expect(error <= 1e-5 * abs(f) * c.magnitude[base] + 1e-30,
                                "\(type) \(level) \(m) rows: token \(t) row \(row) of \(tall.rows)")
                    }
                }
            }
        }
    }

    /// Each row of a batch gives what the single-row decode gives for it, to 1e-5 of Σ|w·x| (summation order
    /// aside, the two compute the same float32 products): a sequence's result does not depend on which others
    /// share its decode step.
    @Test(arguments: TensorTypeTests.types)
    func rowsMatchDecode(type: TensorType) throws {
        let c = try DecodeKernelTests.load(type)
        let segments = 3
        let weights = Self.stacked(c, segments: segments, stack: 3)
        for level in DecodeKernelTests.levels {
            let backend = CPUBackend(threads: 2, blasMinimumRows: 65, instructionSet: level)
            for m in [2, 8, 13] {
                let x = Self.activations(c, tokens: m, segments: segments)
                let (y, stride) = try Self.matmul(backend, weights, x, rows: m)
                for t in 0 ..< m {
                    let row = Array(x[t * weights.columns ..< (t + 1) * weights.columns])
                    let (single, _) = try Self.matmul(backend, weights, row, rows: 1)
                    for n in 0 ..< weights.rows {
                        var magnitude = 0.0
                        for s in 0 ..< segments { magnitude += abs(Double(Self.factor(t, s))) * c.magnitude[(n % c.host.rows + s) % c.host.rows] }
                        #expect(abs(Double(y[t * stride + n]) - Double(single[n])) <= 1e-5 * magnitude + 1e-30,
                                "\(type) \(level) \(m) rows: token \(t) row \(n): \(y[t * stride + n]) vs decode \(single[n])")
                    }
                }
            }
        }
    }

    /// The default backend sends 2 to 15 rows to the small-batch kernel, QKV-style multi-projection calls and the
    /// gated MLP included: each projection gives what the single-weight batch gives, and the gated MLP SwiGLU of it.
    @Test func projectionsAndGatedBatches() throws {
        let c = try DecodeKernelTests.load(.q4_0)
        let weights = Self.stacked(c, segments: 3, stack: 3)
        let backend = CPUBackend(threads: 2)
        let m = 5
        let x = Self.activations(c, tokens: m, segments: 3)
        let (batch, stride) = try Self.matmul(backend, weights, x, rows: m)
        let w = try backend.weight(weights)
        let input = try backend.makeTensor(type: .f32, rows: m, columns: weights.columns)
        try backend.write(x, to: input, firstRow: 0)
        let outputs = try (0 ..< 3).map { _ in try backend.makeTensor(type: .f32, rows: m, columns: weights.rows) }
        try backend.matmul(input, weights: [w, w, w], into: outputs, rows: m)
        let gated = try backend.makeTensor(type: .f32, rows: m, columns: weights.rows)
        let scratch = try backend.makeTensor(type: .f32, rows: m, columns: weights.rows)
        try backend.gatedMatmul(input, gate: w, up: w, into: gated, scratch: scratch, rows: m)
        let g = try backend.read(gated, rows: 0 ..< m)
        for output in outputs {
            let y = try backend.read(output, rows: 0 ..< m)
            for t in 0 ..< m {
                #expect(Array(y[t * weights.rows ..< (t + 1) * weights.rows]) == Array(batch[t * stride ..< t * stride + weights.rows]),
                        "projection token \(t)")
            }
        }
        for t in 0 ..< m {
            for n in 0 ..< weights.rows {
                let v = Double(batch[t * stride + n]), expected = v / (1 + exp(-v)) * v
                #expect(abs(Double(g[t * weights.rows + n]) - expected) <= 1e-5 * max(1, abs(expected)), "gated token \(t) row \(n)")
            }
        }
    }
}
