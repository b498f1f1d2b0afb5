import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// The CPU backend's decode kernels at every instruction-set level this machine runs (so the AVX2 and
/// portable fallbacks are checked on an AVX-512 machine too), on odd shapes: 37 rows (passes of four plus
/// one; stacked copies for the long-range passes of eight), float rows of 519 columns (a masked tail), 4-bit
/// rows of 7 blocks (an odd block after two-block steps), K-quant rows of 3 super-blocks. References are gguf-py's expansion times x in float64
/// (Tests/Fixtures/make_kernel_fixtures.py).
@Suite("Decode kernels on odd shapes, every instruction-set level")
struct DecodeKernelTests {
    static let levels = CPUBackend.InstructionSet.allCases.filter { $0 <= .detected }
    static let file = Result { try GGUFFile(path: TestSupport.fixtures.appendingPathComponent("kernels/shapes.gguf").path) }

    struct Case {
        let host: HostTensor
        let x: [Float]
        let reference: [Double]
        /// Σ|w||x| per row: float32 accumulation error is measured against it.
        let magnitude: [Double]
    }

    static func load(_ type: TensorType) throws -> Case {
        let host = try file.get().tensor(type.description)
        return Case(host: host,
                    x: try TestSupport.npy("kernels/x_\(host.columns).npy").values.map(Float.init),
                    reference: try TestSupport.npy("kernels/\(type)_matvec.npy").values,
                    magnitude: try TestSupport.npy("kernels/\(type)_absdot.npy").values)
    }

    static func decode(_ backend: CPUBackend, _ host: HostTensor, _ x: [Float]) throws -> [Float] {
        let input = try backend.makeTensor(type: .f32, rows: 1, columns: host.columns)
        let output = try backend.makeTensor(type: .f32, rows: 1, columns: host.rows)
        try backend.write(x, to: input, firstRow: 0)
        try backend.matmul(input, weight: backend.weight(host), into: output, rows: 1)
        return try backend.read(output, rows: 0 ..< 1)
    }

    @Test(arguments: TensorTypeTests.types)
    func exactDecodeMatchesGGUFPy(type: TensorType) throws {
        let c = try Self.load(type)
        #expect(c.host.rows == 37)
        for level in Self.levels {
            for threads in [1, 2] {
                let backend = CPUBackend(threads: threads, instructionSet: level)
                #expect(backend.instructionSet == level)
                let y = try Self.decode(backend, c.host, c.x)
                for row in 0 ..< c.host.rows {
                    let error = abs(Double(y[row]) - c.reference[row])
                    #expect(error <= 1e-5 * c.magnitude[row] + 1e-30,
                            "\(type) \(level) \(threads) threads row \(row): \(y[row]) vs \(c.reference[row])")
                }
            }
        }
    }

    /// The fixture's 37 rows stacked until they pass 1 MiB: tall enough that the kernels take their
    /// long-range row order (eight distant regions per pass, see kernels_internal.h) on both threads.
    static func tall(_ host: HostTensor) -> HostTensor {
        let copies = (1 << 20) / host.bytes.count + 1
        let allocation = HostAllocation(count: host.bytes.count * copies)
        for c in 0 ..< copies {
            if let base = host.bytes.baseAddress {
                (allocation.pointer + c * host.bytes.count).copyMemory(from: base, byteCount: host.bytes.count)
            }
        }
        return HostTensor(name: host.name, type: host.type, rows: host.rows * copies, columns: host.columns,
                          bytes: allocation.buffer, owner: allocation)
    }

    /// The fixture widened: row r is rows r, r + 1, ..., r + segments - 1 (mod the row count) side by side, so
    /// its product with x repeated per segment (times a factor each) is a sum of the fixture's references.
    static func wide(_ host: HostTensor, segments: Int) -> HostTensor {
        let rows = host.rows, rowBytes = host.bytes.count / rows
        let allocation = HostAllocation(count: rowBytes * segments * rows)
        for row in 0 ..< rows {
            for s in 0 ..< segments {
                if let base = host.bytes.baseAddress {
                    (allocation.pointer + (row * segments + s) * rowBytes)
                        .copyMemory(from: base + (row + s) % rows * rowBytes, byteCount: rowBytes)
                }
            }
        }
        return HostTensor(name: "wide", type: host.type, rows: rows, columns: host.columns * segments,
                          bytes: allocation.buffer, owner: allocation)
    }

    @Test(arguments: TensorTypeTests.types)
    func exactDecodeOfTallMatricesMatchesGGUFPy(type: TensorType) throws {
        let c = try Self.load(type)
        let tall = Self.tall(c.host)
        for level in Self.levels {
            for threads in [1, 2] {
                let y = try Self.decode(CPUBackend(threads: threads, instructionSet: level), tall, c.x)
                for row in 0 ..< tall.rows {
                    let error = abs(Double(y[row]) - c.reference[row % c.host.rows])
                    #expect(error <= 1e-5 * c.magnitude[row % c.host.rows] + 1e-30,
                            "\(type) \(level) \(threads) threads row \(row) of \(tall.rows)")
                }
            }
        }
    }

    /// Per row of the fixture, Σ over blocks of d/2 · Σ|w| for its x (d = max|x| / 127 per block of 32): how far
    /// rounding x to int8 blocks can move the row's product. The weights are the exact expansion (TensorTypeTests
    /// checks it against gguf-py).
    static func roundingBounds(_ c: Case) throws -> [Double] {
        let (rows, columns) = (c.host.rows, c.host.columns)
        let w = try expanded(c)
        var blockScales = [Double](repeating: 0, count: columns / 32)
        for j in 0 ..< columns { blockScales[j / 32] = max(blockScales[j / 32], Double(abs(c.x[j])) / 127) }
        var bounds = [Double](repeating: 0, count: rows)
        for row in 0 ..< rows {
            for j in 0 ..< columns { bounds[row] += blockScales[j / 32] / 2 * Double(abs(w[row * columns + j])) }
        }
        return bounds
    }

    /// The fixture's weights as float32 rows (the exact expansion, which TensorTypeTests checks against gguf-py).
    static func expanded(_ c: Case) throws -> [Float] {
        let expander = CPUBackend(threads: 1)
        let all = try expander.makeTensor(type: .f32, rows: c.host.rows, columns: c.host.columns)
        try expander.getRows(expander.weight(c.host), ids: (0 ..< Int32(c.host.rows)).map { $0 }, into: all)
        return try expander.read(all, rows: 0 ..< c.host.rows)
    }

    /// x rounded to int8 blocks of 32 by the rule the int8 kernels document (lk_quantize_activations): d = max|x|
    /// / 127 and 1/d in float32, q = x · (1/d) rounded to nearest even; returned as d · q in float64.
    static func roundedToInt8Blocks(_ x: [Float]) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for start in stride(from: 0, to: x.count, by: 32) {
            let block = x[start ..< min(start + 32, x.count)]
            let scale = (block.map { abs($0) }.max() ?? 0) / 127
            let inverse: Float = scale > 0 ? 1 / scale : 0
            for j in block.indices { out[j] = Double(scale) * Double((x[j] * inverse).rounded(.toNearestOrEven)) }
        }
        return out
    }

    /// Per row, the product with x rounded to int8 blocks (in float64) and Σ|w||x̂|. The int8 kernels must give
    /// it to float32 accumulation error: much tighter than the rounding bound, so it also catches an offset or a
    /// scale that is slightly wrong (dropping Q6_K's -32 for -31 stays inside the bound).
    static func roundedReference(_ c: Case) throws -> (value: [Double], magnitude: [Double]) {
        let (rows, columns) = (c.host.rows, c.host.columns)
        let w = try expanded(c), x = roundedToInt8Blocks(c.x)
        var value = [Double](repeating: 0, count: rows), magnitude = value
        for row in 0 ..< rows {
            for j in 0 ..< columns {
                value[row] += Double(w[row * columns + j]) * x[j]
                magnitude[row] += abs(Double(w[row * columns + j]) * x[j])
            }
        }
        return (value, magnitude)
    }

    /// Rounding x to 32-value blocks with scale d = max|x|/127 moves each value by at most d/2, so each row
    /// moves by at most Σ over blocks of d/2 · Σ|w| (plus float32 accumulation error).
    @Test(arguments: [TensorType.q4_0, .q4_1, .q8_0, .q4_K, .q6_K])
    func int8DecodeStaysWithinItsRoundingBound(type: TensorType) throws {
        let c = try Self.load(type)
        let bounds = try Self.roundingBounds(c)
        let rounded = try Self.roundedReference(c)

        // The fixture itself (short-range row order) and stacked copies of it (long-range order).
        for host in [c.host, Self.tall(c.host)] {
            // The K-quants have int8 kernels for VNNI only (below they stay exact, which `differs` would flag).
            for level in Self.levels where level >= (type == .q4_K || type == .q6_K ? .avx512VNNI : .avx2) {
                for threads in [1, 2] {
                    let backend = CPUBackend(threads: threads, activationPrecision: .int8, instructionSet: level)
                    let y = try Self.decode(backend, host, c.x)
                    var differs = false
                    for row in 0 ..< host.rows {
                        let base = row % c.host.rows
                        let error = abs(Double(y[row]) - c.reference[base])
                        differs = differs || error > 1e-6 * c.magnitude[base]
                        #expect(error <= bounds[base] * 1.001 + 1e-5 * c.magnitude[base],
                                "\(type) \(level) row \(row) of \(host.rows): error \(error) > bound \(bounds[base])")
                        let roundedError = abs(Double(y[row]) - rounded.value[base])
                        #expect(roundedError <= 1e-5 * rounded.magnitude[base] + 1e-30,
                                "\(type) \(level) row \(row) of \(host.rows): \(y[row]) vs \(rounded.value[base]) for x rounded to int8")
                    }
                    #expect(differs, "\(type) \(level): the int8 path should differ from the exact one (is it used?)")
                }
            }
        }
    }

    /// Q, K and V as one job, and gate/up with SwiGLU as one job, give each row exactly what separate
    /// matmuls give (every row is still one kernel call over the same blocks in the same order).
    @Test func fusedDecodeOpsMatchSeparateOps() throws {
        let q = try Self.load(.q4_1), k = try Self.load(.q8_0), v = try Self.load(.q4_0)
        let backend = CPUBackend(threads: 2)
        let x = try backend.makeTensor(type: .f32, rows: 1, columns: 224)
        try backend.write(q.x, to: x, firstRow: 0)
        let weights = try [q.host, k.host, v.host].map { try backend.weight($0) }
        let fused = try weights.map { _ in try backend.makeTensor(type: .f32, rows: 1, columns: 37) }
        try backend.matmul(x, weights: weights, into: fused, rows: 1)
        for (weight, output) in zip(weights, fused) {
            let single = try backend.makeTensor(type: .f32, rows: 1, columns: 37)
            try backend.matmul(x, weight: weight, into: single, rows: 1)
            #expect(try backend.read(output, rows: 0 ..< 1) == backend.read(single, rows: 0 ..< 1))
        }

        let gated = try backend.makeTensor(type: .f32, rows: 1, columns: 37)
        let scratch = try backend.makeTensor(type: .f32, rows: 1, columns: 37)
        try backend.gatedMatmul(x, gate: weights[0], up: weights[2], into: gated, scratch: scratch, rows: 1)
        let g = try backend.read(fused[0], rows: 0 ..< 1), u = try backend.read(fused[2], rows: 0 ..< 1)
        let expected = zip(g, u).map { Double($0) / (1 + exp(-Double($0))) * Double($1) }
        for (got, want) in zip(try backend.read(gated, rows: 0 ..< 1), expected) {
            #expect(abs(Double(got) - want) <= 1e-6 * max(1, abs(want)), "gated \(got) vs \(want)")
        }
    }
}
