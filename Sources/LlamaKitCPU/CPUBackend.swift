import CLlamaKitKernels
import COpenBLAS
import Foundation
import LlamaKit

/// The CPU backend: hand-written C kernels that read quantized weights in place, for decode and (with AVX-512)
/// prefill; OpenBLAS for prefill on older CPUs.
///
/// Weights are wrapped, not copied: a model loaded from a memory-mapped GGUF file costs no more resident
/// memory than the pages it touches. All computation is float32 on the stored weights (the exact path).
/// One persistent thread pool serves every op; ops from concurrent sessions are serialised.
public final class CPUBackend: Backend, @unchecked Sendable {
    /// How matmuls treat activations.
    public enum ActivationPrecision: String, Sendable, CaseIterable {
        /// float32 activations on the stored weights: the reference path (default).
        case float32
        /// Activations rounded to 8-bit blocks, as llama.cpp does: faster, approximate (KL divergence against
        /// float32 is measured in the tests and in Docs/Accuracy.md). Decode: Q4_0, Q4_1 and Q8_0 weights
        /// (AVX2 or better), and Q4_K and Q6_K with AVX-512 VNNI. Prompt batches: Q4_0, Q4_1, Q8_0, Q4_K and
        /// Q6_K with AVX-512 VNNI. Other types (F32, F16, BF16) and levels stay float32.
        case int8
    }

    /// The x86-64 kernel levels (each includes the ones before it). Other CPUs, arm64 included, run the
    /// portable C kernels. Every level computes the same exact float32 results up to summation order.
    public enum InstructionSet: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
        case portable = 0
        /// AVX2, FMA and F16C.
        case avx2 = 1
        /// AVX-512 F, BW, VL and DQ.
        case avx512 = 2
        /// AVX-512 with VNNI and GFNI (8-bit dot products and nibble unpacking for the int8-activation path):
        /// Ice Lake, Sapphire Rapids, Zen 4 and later.
        case avx512VNNI = 3

        /// The best level the running CPU offers.
        public static var detected: InstructionSet { InstructionSet(rawValue: Int(lk_cpu_isa())) ?? .portable }

        public static func < (a: InstructionSet, b: InstructionSet) -> Bool { a.rawValue < b.rawValue }

        public var description: String { String(cString: lk_isa_name(Int32(rawValue))) }
    }

    public let name = "cpu"
    /// Worker threads (including the calling thread).
    public let threads: Int
    /// Exact batches with at least this many rows use the prompt kernels: AVX-512 tiles on expanded weights, or
    /// below AVX-512 OpenBLAS sgemm on expanded weight tiles. Batches of 2 up to this many rows (a decode step of
    /// several sequences, a short prompt) use the small-batch kernel, which reads each weight once for all rows.
    public var blasMinimumRows: Int
    /// Activation precision of matmuls (see ``ActivationPrecision`` for which types and levels it covers).
    public let activationPrecision: ActivationPrecision
    /// The kernel level in use: the one asked for, lowered to what the CPU offers.
    public let instructionSet: InstructionSet

    /// `nil` only if the pool could not be created; the kernels then run on the calling thread.
    private let pool: OpaquePointer?
    private let lock = NSLock()

    /// Creates a CPU backend with `threads` threads (default: all active processors).
    ///
    /// `instructionSet` caps the kernel level (default: the best the CPU offers); tests use it to run the
    /// AVX2 and portable kernels on machines that have more. `blasMinimumRows` defaults to where the prompt
    /// kernels overtake the small-batch kernel: 16 rows for the AVX-512 tiles, 64 for OpenBLAS at AVX2 (measured
    /// in Docs/Performance.md).
    public init(threads: Int? = nil, blasMinimumRows: Int? = nil, activationPrecision: ActivationPrecision = .float32,
                instructionSet: InstructionSet? = nil) {
        self.activationPrecision = activationPrecision
        self.instructionSet = min(instructionSet ?? .detected, .detected)
        let requested = min(max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount), 512)
        self.pool = lk_pool_create(Int32(requested))
        // The pool may start fewer threads than asked if the system refuses more.
        self.threads = Int(lk_pool_threads(pool))
        self.blasMinimumRows = blasMinimumRows ?? (self.instructionSet == .avx2 ? 64 : 16)
        // The pool supplies the parallelism; OpenBLAS runs inside each pool thread.
        openblas_set_num_threads(1)
    }

    deinit { if let pool { lk_pool_destroy(pool) } }

    public func supports(_ op: BackendOp, type: TensorType) -> Bool {
        switch op {
        case .getRows, .matmul: return lk_type_supported(Int32(type.rawValue)) != 0
        default: return type == .f32
        }
    }

    // MARK: Tensors

    public func weight(_ host: HostTensor) throws -> any BackendTensor {
        guard supports(.matmul, type: host.type) else {
            throw BackendError.unsupported(op: .matmul, type: host.type, backend: name)
        }
        guard let rowBytes = host.type.rowBytes(columns: host.columns), rowBytes * host.rows == host.bytes.count,
              let base = host.bytes.baseAddress
        else {
            throw BackendError.shapeMismatch("\(host.name): \(host.bytes.count) bytes for \(host.rows)x\(host.columns) \(host.type)")
        }
        // Start reading the pages in the background so the first token does not wait on the disk.
        adviseWillNeed(base, count: host.bytes.count)
        // The kernels only read weights; the mutable pointer type is shared with activations.
        return CPUTensor(type: host.type, rows: host.rows, columns: host.columns, rowBytes: rowBytes,
                         pointer: UnsafeMutableRawPointer(mutating: base), owner: host.owner)
    }

    public func makeTensor(type: TensorType, rows: Int, columns: Int) throws -> any BackendTensor {
        guard type == .f32 else { throw BackendError.unsupported(op: .copyRows, type: type, backend: name) }
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns * 4)
        guard !overflow, rows >= 0, columns >= 0 else { throw BackendError.outOfMemory(bytes: Int.max, backend: name) }
        guard let allocation = HostAllocation(mappingAtLeast: count) else {
            throw BackendError.outOfMemory(bytes: count, backend: name)
        }
        return CPUTensor(type: .f32, rows: rows, columns: columns, rowBytes: columns * 4,
                         pointer: allocation.pointer, owner: allocation)
    }

    public func write(_ values: [Float], to tensor: any BackendTensor, firstRow: Int) throws {
        let t = try cpu(tensor, .f32)
        guard firstRow >= 0, values.count % max(t.columns, 1) == 0, firstRow + values.count / max(t.columns, 1) <= t.rows else {
            throw BackendError.shapeMismatch("writing \(values.count) floats at row \(firstRow) of a \(t.rows)x\(t.columns) tensor")
        }
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { (t.floats + firstRow * t.columns).update(from: base, count: src.count) }
        }
    }

    public func read(_ tensor: any BackendTensor, rows: Range<Int>) throws -> [Float] {
        let t = try cpu(tensor, .f32)
        guard rows.lowerBound >= 0, rows.upperBound <= t.rows else {
            throw BackendError.shapeMismatch("reading rows \(rows) of a tensor with \(t.rows) rows")
        }
        return Array(UnsafeBufferPointer(start: t.floats + rows.lowerBound * t.columns, count: rows.count * t.columns))
    }

    // MARK: Ops

    public func getRows(_ table: any BackendTensor, ids: [Int32], into out: any BackendTensor) throws {
        let t = try cpu(table)
        let o = try cpu(out, .f32)
        guard o.columns == t.columns, ids.count <= o.rows else {
            throw BackendError.shapeMismatch("getRows of \(ids.count) rows from \(t.rows)x\(t.columns) into \(o.rows)x\(o.columns)")
        }
        for id in ids where id < 0 || Int(id) >= t.rows {
            throw BackendError.shapeMismatch("row id \(id) outside the table's \(t.rows) rows")
        }
        locked {
            lk_get_rows(Int32(t.type.rawValue), t.pointer, t.rowBytes, Int64(t.columns), ids, Int64(ids.count), o.floats)
        }
    }

    public func rmsNorm(_ x: any BackendTensor, weight: any BackendTensor, epsilon: Float,
                        into out: any BackendTensor, rows: Int) throws {
        let (a, w, o) = (try cpu(x, .f32), try cpu(weight, .f32), try cpu(out, .f32))
        try check(rows: rows, a, o)
        guard w.rows * w.columns == a.columns, o.columns == a.columns else {
            throw BackendError.shapeMismatch("rmsNorm weight has \(w.rows * w.columns) values for rows of \(a.columns)")
        }
        locked { lk_rms_norm(pool, a.floats, w.floats, epsilon, o.floats, Int64(rows), Int64(a.columns)) }
    }

    public func matmul(_ x: any BackendTensor, weight: any BackendTensor, into out: any BackendTensor, rows: Int) throws {
        let (a, w, o) = (try cpu(x, .f32), try cpu(weight), try cpu(out, .f32))
        try checkMatmul(a, w, o, rows: rows)
        try locked {
            if rows == 1 {
                try decode(a, [(w, o)], gated: false)
            } else if activationPrecision == .int8,
                      lk_matmul_q8(pool, isa, Int32(w.type.rawValue), w.pointer, w.rowBytes, Int64(w.rows),
                                   a.floats, Int64(rows), Int64(a.columns), o.floats, Int64(o.columns)) == 1 {
                // Batches on the int8 path: VNNI integer products on repacked tiles (Q4_0, Q4_1, Q8_0, Q4_K, Q6_K).
            } else if rows < blasMinimumRows,
                      lk_matmul_rows(pool, isa, Int32(w.type.rawValue), w.pointer, w.rowBytes, Int64(w.rows),
                                     a.floats, Int64(rows), Int64(a.columns), o.floats, Int64(o.columns)) == 1 {
                // A few rows (a decode step of several sequences, a short prompt): each weight is read once and
                // applied to every row, where a decode per row would read it once per row.
            } else if rows >= blasMinimumRows {
                // Exact batches: our own AVX-512 tiles where the CPU has them, else OpenBLAS's sgemm.
                if lk_matmul_tiled(pool, isa, Int32(w.type.rawValue), w.pointer, w.rowBytes, Int64(w.rows),
                                   a.floats, Int64(rows), Int64(a.columns), o.floats, Int64(o.columns)) != 1 {
                    try blasMatmul(a, w, o, rows: rows)
                }
            } else {
                // The small-batch kernel found no scratch memory: one decode job per row.
                for row in 0 ..< rows {
                    var projection = lk_projection(type: Int32(w.type.rawValue), w: w.pointer, row_bytes: w.rowBytes,
                                                   rows: Int64(w.rows), y: o.floats + row * o.columns)
                    if lk_matvec(pool, isa, &projection, 1, a.floats + row * a.columns, Int64(a.columns), 0, 0) == 0 {
                        throw BackendError.outOfMemory(bytes: a.columns * 4, backend: name)
                    }
                }
            }
        }
    }

    /// Decode runs the projections as one pool job; batches run them one after another (a few rows through the
    /// small-batch kernel, which reads each weight once for all of them).
    public func matmul(_ x: any BackendTensor, weights: [any BackendTensor], into outputs: [any BackendTensor], rows: Int) throws {
        guard rows == 1, (1 ... 4).contains(weights.count), weights.count == outputs.count else {
            guard weights.count == outputs.count else {
                throw BackendError.shapeMismatch("\(weights.count) weights for \(outputs.count) outputs")
            }
            for (weight, output) in zip(weights, outputs) { try matmul(x, weight: weight, into: output, rows: rows) }
            return
        }
        let a = try cpu(x, .f32)
        let pairs = try zip(weights, outputs).map { (try cpu($0.0), try cpu($0.1, .f32)) }
        for (w, o) in pairs { try checkMatmul(a, w, o, rows: rows) }
        try locked { try decode(a, pairs, gated: false) }
    }

    /// Decode computes gate and up rows together and applies SwiGLU as it goes, in one pool job; batches run
    /// gate and up one after another (a few rows through the small-batch kernel), then SwiGLU.
    public func gatedMatmul(_ x: any BackendTensor, gate: any BackendTensor, up: any BackendTensor,
                            into out: any BackendTensor, scratch: any BackendTensor, rows: Int) throws {
        let (a, g, u, o, t) = (try cpu(x, .f32), try cpu(gate), try cpu(up), try cpu(out, .f32), try cpu(scratch, .f32))
        try checkMatmul(a, g, o, rows: rows)
        try checkMatmul(a, u, t, rows: rows)
        guard g.rows == u.rows else { throw BackendError.shapeMismatch("gate has \(g.rows) rows, up \(u.rows)") }
        guard rows == 1 else {
            try matmul(x, weight: gate, into: out, rows: rows)
            try matmul(x, weight: up, into: scratch, rows: rows)
            try swiglu(gate: out, up: scratch, into: out, rows: rows)
            return
        }
        try locked { try decode(a, [(g, o), (u, t)], gated: true) }
    }

    public func rope(_ x: any BackendTensor, rows: Int, heads: Int, headDim: Int, positions: [Int32],
                     inverseFrequencies: [Float], layout: RopeLayout) throws {
        let t = try cpu(x, .f32)
        try check(rows: rows, t)
        // The kernel indexes rows as packed heads, so the width must be exactly heads × headDim.
        guard heads * headDim == t.columns, inverseFrequencies.count == headDim / 2, headDim % 2 == 0,
              positions.count == rows, positions.allSatisfy({ $0 >= 0 })
        else {
            throw BackendError.shapeMismatch("rope of \(rows) rows (\(positions.count) positions) of \(heads)x\(headDim) on \(t.columns) columns with \(inverseFrequencies.count) frequencies")
        }
        locked {
            lk_rope(pool, t.floats, Int64(rows), Int64(heads), Int64(headDim), positions,
                    inverseFrequencies, layout == .interleaved ? 1 : 0)
        }
    }

    public func copyRows(_ source: any BackendTensor, sourceRow: Int, into destination: any BackendTensor,
                         destinationRow: Int, rows: Int) throws {
        let (s, d) = (try cpu(source, .f32), try cpu(destination, .f32))
        guard s.columns == d.columns, rows >= 0, sourceRow >= 0, sourceRow + rows <= s.rows,
              destinationRow >= 0, destinationRow + rows <= d.rows
        else {
            throw BackendError.shapeMismatch("copying \(rows) rows of width \(s.columns) from row \(sourceRow) to row \(destinationRow) of \(d.rows)x\(d.columns)")
        }
        (d.floats + destinationRow * d.columns).update(from: s.floats + sourceRow * s.columns, count: rows * s.columns)
    }

    public func storeRows(_ source: any BackendTensor, into destination: any BackendTensor, slots: [Int32]) throws {
        let (s, d) = (try cpu(source, .f32), try cpu(destination, .f32))
        guard s.columns == d.columns, slots.count <= s.rows, slots.allSatisfy({ $0 >= 0 && Int($0) < d.rows }) else {
            throw BackendError.shapeMismatch("storing \(slots.count) rows of width \(s.columns) into a \(d.rows)x\(d.columns) tensor")
        }
        for (row, slot) in slots.enumerated() {
            (d.floats + Int(slot) * d.columns).update(from: s.floats + row * s.columns, count: s.columns)
        }
    }

    public func attention(query: any BackendTensor, keys: any BackendTensor, values: any BackendTensor,
                          into out: any BackendTensor, rows: Int, layout: AttentionLayout,
                          heads: Int, kvHeads: Int, headDim: Int, scale: Float) throws {
        let (q, k, v, o) = (try cpu(query, .f32), try cpu(keys, .f32), try cpu(values, .f32), try cpu(out, .f32))
        try check(rows: rows, q, o)
        guard kvHeads > 0, heads % kvHeads == 0, q.columns == heads * headDim, o.columns == heads * headDim,
              k.columns == kvHeads * headDim, v.columns == k.columns, k.rows == v.rows
        else {
            throw BackendError.shapeMismatch("attention with \(heads)/\(kvHeads) heads of \(headDim) over a \(k.rows)-row cache")
        }
        guard heads / kvHeads <= 64 else {
            throw BackendError.shapeMismatch("attention groups of \(heads / kvHeads) query heads per KV head (at most 64)")
        }
        try layout.validate(rows: rows, cacheRows: k.rows)
        let done = locked {
            lk_attention(pool, isa, q.floats, k.floats, v.floats, o.floats, Int64(rows), layout.slots, layout.rowStart,
                         layout.rowLength, Int64(heads), Int64(kvHeads), Int64(headDim), scale)
        }
        if done == 0 {
            let longest = layout.rowLength.max().map(Int.init) ?? 0
            throw BackendError.outOfMemory(bytes: longest * heads * 4 * threads, backend: name)
        }
    }

    public func swiglu(gate: any BackendTensor, up: any BackendTensor, into out: any BackendTensor, rows: Int) throws {
        let (g, u, o) = (try cpu(gate, .f32), try cpu(up, .f32), try cpu(out, .f32))
        try check(rows: rows, g, u, o)
        guard g.columns == u.columns, o.columns == g.columns else { throw BackendError.shapeMismatch("swiglu widths differ") }
        locked { lk_swiglu(pool, g.floats, u.floats, o.floats, Int64(rows * g.columns)) }
    }

    public func add(_ x: any BackendTensor, into accumulator: any BackendTensor, rows: Int) throws {
        let (a, acc) = (try cpu(x, .f32), try cpu(accumulator, .f32))
        try check(rows: rows, a, acc)
        guard a.columns == acc.columns else { throw BackendError.shapeMismatch("add widths differ") }
        lk_add(acc.floats, a.floats, Int64(rows * a.columns))
    }

    // MARK: Helpers

    private var isa: Int32 { Int32(instructionSet.rawValue) }

    /// Prefill: each pool thread expands tiles of its weight rows to float32 and multiplies them with a
    /// single-threaded OpenBLAS sgemm (one set of threads: OpenBLAS's own would compete with the pool's).
    private func blasMatmul(_ a: CPUTensor, _ w: CPUTensor, _ o: CPUTensor, rows: Int) throws {
        // sgemm takes 32-bit sizes.
        guard [rows, w.rows, a.columns, o.columns].allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw BackendError.shapeMismatch("matmul of \(rows)x\(a.columns) by \(w.rows)x\(w.columns) exceeds sgemm's 32-bit sizes")
        }
        let done = lk_matmul_blas(pool, singleThreadedSgemm, Int32(w.type.rawValue), w.pointer, w.rowBytes, Int64(w.rows),
                                  a.floats, Int64(rows), Int64(a.columns), o.floats, Int64(o.columns))
        if done == 0 { throw BackendError.outOfMemory(bytes: threads * (1 << 20), backend: name) }
    }

    /// One decode job: `x` (one row) times each weight into its output, on the pool.
    private func decode(_ x: CPUTensor, _ projections: [(CPUTensor, CPUTensor)], gated: Bool) throws {
        let list = projections.map { w, o in
            lk_projection(type: Int32(w.type.rawValue), w: w.pointer, row_bytes: w.rowBytes, rows: Int64(w.rows), y: o.floats)
        }
        let done = list.withUnsafeBufferPointer {
            lk_matvec(pool, isa, $0.baseAddress, Int32($0.count), x.floats, Int64(x.columns), gated ? 1 : 0,
                      activationPrecision == .int8 ? 1 : 0)
        }
        if done == 0 { throw BackendError.outOfMemory(bytes: x.columns * 4, backend: name) }
    }

    private func checkMatmul(_ a: CPUTensor, _ w: CPUTensor, _ o: CPUTensor, rows: Int) throws {
        try check(rows: rows, a, o)
        guard a.columns == w.columns, o.columns >= w.rows else {
            throw BackendError.shapeMismatch("matmul of x[\(rows)x\(a.columns)] with W[\(w.rows)x\(w.columns)] into \(o.columns) columns")
        }
    }

    private func adviseWillNeed(_ base: UnsafeRawPointer, count: Int) {
        let page = Int(getpagesize())
        let start = Int(bitPattern: base) / page * page
        let end = Int(bitPattern: base) + count
        guard let aligned = UnsafeMutableRawPointer(bitPattern: start), end > start else { return }
        _ = madvise(aligned, end - start, MADV_WILLNEED)
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func cpu(_ tensor: any BackendTensor, _ type: TensorType? = nil) throws -> CPUTensor {
        guard let t = tensor as? CPUTensor else { throw BackendError.foreignTensor(backend: name) }
        if let type, t.type != type {
            throw BackendError.unsupported(op: .matmul, type: t.type, backend: name)
        }
        return t
    }

    private func check(rows: Int, _ tensors: CPUTensor...) throws {
        for t in tensors where rows < 0 || rows > t.rows {
            throw BackendError.shapeMismatch("op on \(rows) rows of a tensor with \(t.rows) rows")
        }
    }
}

/// `c = a · bᵀ` through OpenBLAS, called from inside the pool's threads.
private let singleThreadedSgemm: lk_sgemm_fn = { m, n, k, a, lda, b, ldb, c, ldc in
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
}
