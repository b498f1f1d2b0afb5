import CLlamaKitKernels
import COpenBLAS
import Foundation
import LlamaKit

/// The CPU backend: hand-written C kernels that read quantized weights in place, OpenBLAS for prefill.
///
/// Weights are wrapped, not copied: a model loaded from a memory-mapped GGUF file costs no more resident
/// memory than the pages it touches. All computation is float32 on the stored weights (the exact path).
/// One persistent thread pool serves every op; ops from concurrent sessions are serialised.
public final class CPUBackend: Backend, @unchecked Sendable {
    /// How decode matmuls treat activations.
    public enum ActivationPrecision: String, Sendable, CaseIterable {
        /// float32 activations on the stored weights: the reference path (default).
        case float32
        /// Activations rounded to 8-bit blocks for Q4_0/Q4_1/Q8_0 decode matmuls, as llama.cpp does: faster,
        /// approximate (KL divergence against float32 is measured in the tests and in Docs/Accuracy.md).
        case int8
    }

    public let name = "cpu"
    /// Worker threads (including the calling thread).
    public let threads: Int
    /// Batches with at least this many rows use OpenBLAS sgemm on expanded weight tiles.
    public var blasMinimumRows: Int
    /// Activation precision of decode (single-row) matmuls; prompt batches always use float32.
    public let activationPrecision: ActivationPrecision

    /// `nil` only if the pool could not be created; the kernels then run on the calling thread.
    private let pool: OpaquePointer?
    private let lock = NSLock()
    private var tile: HostAllocation?

    /// Creates a CPU backend with `threads` threads (default: all active processors).
    public init(threads: Int? = nil, blasMinimumRows: Int = 16, activationPrecision: ActivationPrecision = .float32) {
        self.activationPrecision = activationPrecision
        let requested = min(max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount), 512)
        self.pool = lk_pool_create(Int32(requested))
        // The pool may start fewer threads than asked if the system refuses more.
        self.threads = Int(lk_pool_threads(pool))
        self.blasMinimumRows = blasMinimumRows
        openblas_set_num_threads(Int32(self.threads))
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
        let allocation = HostAllocation(count: count)
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
        try check(rows: rows, a, o)
        guard a.columns == w.columns, o.columns >= w.rows else {
            throw BackendError.shapeMismatch("matmul of x[\(rows)x\(a.columns)] with W[\(w.rows)x\(w.columns)] into \(o.columns) columns")
        }
        locked {
            if rows >= blasMinimumRows {
                blasMatmul(a, w, o, rows: rows)
            } else if rows == 1, activationPrecision == .int8,
                      lk_matvec_q8(pool, Int32(w.type.rawValue), w.pointer, w.rowBytes, Int64(w.rows),
                                   a.floats, Int64(a.columns), o.floats) != 0 {
                // Done on the approximate path.
            } else {
                lk_matmul(pool, Int32(w.type.rawValue), w.pointer, w.rowBytes, Int64(w.rows),
                          a.floats, Int64(rows), Int64(a.columns), o.floats, Int64(o.columns))
            }
        }
    }

    public func rope(_ x: any BackendTensor, rows: Int, heads: Int, headDim: Int, firstPosition: Int,
                     inverseFrequencies: [Float], layout: RopeLayout) throws {
        let t = try cpu(x, .f32)
        try check(rows: rows, t)
        // The kernel indexes rows as packed heads, so the width must be exactly heads × headDim.
        guard heads * headDim == t.columns, inverseFrequencies.count == headDim / 2, headDim % 2 == 0 else {
            throw BackendError.shapeMismatch("rope of \(heads)x\(headDim) on \(t.columns) columns with \(inverseFrequencies.count) frequencies")
        }
        locked {
            lk_rope(pool, t.floats, Int64(rows), Int64(heads), Int64(headDim), Int64(firstPosition),
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

    public func attention(query: any BackendTensor, keys: any BackendTensor, values: any BackendTensor,
                          into out: any BackendTensor, rows: Int, firstPosition: Int,
                          heads: Int, kvHeads: Int, headDim: Int, scale: Float) throws {
        let (q, k, v, o) = (try cpu(query, .f32), try cpu(keys, .f32), try cpu(values, .f32), try cpu(out, .f32))
        try check(rows: rows, q, o)
        guard kvHeads > 0, heads % kvHeads == 0, q.columns == heads * headDim, o.columns == heads * headDim,
              k.columns == kvHeads * headDim, v.columns == k.columns, firstPosition + rows <= k.rows, k.rows == v.rows
        else {
            throw BackendError.shapeMismatch("attention with \(heads)/\(kvHeads) heads of \(headDim) over a \(k.rows)-row cache at position \(firstPosition)")
        }
        locked {
            lk_attention(pool, q.floats, k.floats, v.floats, o.floats, Int64(rows), Int64(firstPosition),
                         Int64(heads), Int64(kvHeads), Int64(headDim), scale)
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

    /// Prefill: expand tiles of weight rows to float32 and multiply them with OpenBLAS.
    private func blasMatmul(_ a: CPUTensor, _ w: CPUTensor, _ o: CPUTensor, rows: Int) {
        let k = a.columns
        if w.type == .f32 {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(w.rows), Int32(k), 1,
                        a.floats, Int32(k), w.pointer.assumingMemoryBound(to: Float.self), Int32(k), 0,
                        o.floats, Int32(o.columns))
            return
        }
        // A 1 MiB tile of float32 weights fits this kind of core's L2 while sgemm reuses it for every
        // activation row, and keeps the scratch small next to a small model's mapped weights.
        let tileRows = max(16, min(w.rows, (1 << 18) / max(k, 1)))
        let needed = tileRows * k * 4
        let scratch: HostAllocation
        if let existing = tile, existing.count >= needed {
            scratch = existing
        } else {
            scratch = HostAllocation(count: needed)
            tile = scratch
        }
        let buffer = scratch.pointer.assumingMemoryBound(to: Float.self)
        var row0 = 0
        while row0 < w.rows {
            let row1 = min(w.rows, row0 + tileRows)
            lk_dequantize_rows(pool, Int32(w.type.rawValue), w.pointer, w.rowBytes, Int64(row0), Int64(row1), Int64(k), buffer)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(row1 - row0), Int32(k), 1,
                        a.floats, Int32(k), buffer, Int32(k), 0, o.floats + row0, Int32(o.columns))
            row0 = row1
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
