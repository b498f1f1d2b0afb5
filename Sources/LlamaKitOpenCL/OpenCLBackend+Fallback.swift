import LlamaKit
import LlamaKitCPU

/// The CPU paths for weights kept in host memory: read the device inputs back, run the CPU backend's op,
/// write the result to the device. Slow (two transfers per op) but it keeps every model loadable and
/// exact; ``OpenCLBackend/supports(_:type:)`` tells callers which ops avoid it. Callers hold the lock.
extension OpenCLBackend {
    func fallbackMatmul(_ a: Activation, weight w: OpenCLTensor, into o: Activation, rows: Int) throws {
        guard let hostWeight = w.host else { throw BackendError.device("matmul: weight has no storage") }
        let cpu = fallback()
        let input = try cpu.makeTensor(type: .f32, rows: rows, columns: a.columns)
        try cpu.write(try readRows(a, 0 ..< rows), to: input, firstRow: 0)
        let output = try cpu.makeTensor(type: .f32, rows: rows, columns: w.rows)
        try cpu.matmul(input, weight: hostWeight, into: output, rows: rows)
        let result = try cpu.read(output, rows: 0 ..< rows)
        // Only the first w.rows columns of each output row belong to this product.
        try result.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            try runtime.writeRows(o.memory, from: base, rows: rows, rowBytes: w.rows * 4, pitch: o.columns * 4)
        }
    }

    func fallbackGetRows(_ t: OpenCLTensor, ids: [Int32], into o: Activation) throws {
        guard let hostTable = t.host else { throw BackendError.device("getRows: table has no storage") }
        let cpu = fallback()
        let output = try cpu.makeTensor(type: .f32, rows: ids.count, columns: t.columns)
        try cpu.getRows(hostTable, ids: ids, into: output)
        let result = try cpu.read(output, rows: 0 ..< ids.count)
        try result.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { try runtime.write(o.memory, offset: 0, from: base, count: bytes.count) }
        }
    }

    func fallbackRMSNorm(_ a: Activation, weight w: OpenCLTensor, epsilon: Float, into o: Activation, rows: Int) throws {
        guard let hostWeight = w.host else { throw BackendError.device("rmsNorm: weight has no storage") }
        let cpu = fallback()
        let input = try cpu.makeTensor(type: .f32, rows: rows, columns: a.columns)
        try cpu.write(try readRows(a, 0 ..< rows), to: input, firstRow: 0)
        try cpu.rmsNorm(input, weight: hostWeight, epsilon: epsilon, into: input, rows: rows)
        let result = try cpu.read(input, rows: 0 ..< rows)
        try result.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { try runtime.write(o.memory, offset: 0, from: base, count: bytes.count) }
        }
    }
}
