import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// Every supported storage type against gguf-py's dequantization (Tests/Fixtures/make_quant_fixtures.py):
/// the row expansion must be exact, and matmul (decode path, batched path, OpenBLAS path) must match the
/// float64 product of the reference values.
@Suite("Tensor types against gguf-py")
struct TensorTypeTests {
    static let types: [TensorType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q4_K, .q6_K]

    @Test(arguments: types)
    func dequantizationAndMatmul(type: TensorType) throws {
        let file = try GGUFFile(path: TestSupport.fixtures.appendingPathComponent("quant/types.gguf").path)
        let host = try file.tensor(type.description)
        #expect(host.type == type)
        let reference = try TestSupport.npy("quant/\(type)_dequant.npy")
        let x = try TestSupport.npy("quant/x.npy").values.map(Float.init)
        let xBatch = try TestSupport.npy("quant/x_batch.npy")
        let matvec = try TestSupport.npy("quant/\(type)_matvec.npy").values
        let matmul = try TestSupport.npy("quant/\(type)_matmul.npy").values
        let rows = host.rows, columns = host.columns

        for blasMinimumRows in [1_000_000, 2] {
            let backend = CPUBackend(threads: 2, blasMinimumRows: blasMinimumRows)
            let weight = try backend.weight(host)

            // Row expansion (the embedding lookup) is exact.
            let expanded = try backend.makeTensor(type: .f32, rows: rows, columns: columns)
            try backend.getRows(weight, ids: (0 ..< Int32(rows)).map { $0 }, into: expanded)
            let values = try backend.read(expanded, rows: 0 ..< rows)
            let maxError = zip(values, reference.values).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(maxError == 0, "\(type): expanded values differ from gguf-py by \(maxError)")

            // Decode: one activation row.
            let input = try backend.makeTensor(type: .f32, rows: 3, columns: columns)
            let output = try backend.makeTensor(type: .f32, rows: 3, columns: rows)
            try backend.write(x, to: input, firstRow: 0)
            try backend.matmul(input, weight: weight, into: output, rows: 1)
            let y = try backend.read(output, rows: 0 ..< 1)
            for i in 0 ..< rows {
                #expect(abs(Double(y[i]) - matvec[i]) <= 1e-5 * max(1, abs(matvec[i])), "\(type) matvec row \(i): \(y[i]) vs \(matvec[i])")
            }

            // Batch: three rows (a decode per row, or with blasMinimumRows 2 the batch kernels: AVX-512 tiles,
            // else OpenBLAS; ExactBatchTests covers each level).
            try backend.write(xBatch.values.map(Float.init), to: input, firstRow: 0)
            try backend.matmul(input, weight: weight, into: output, rows: 3)
            let yBatch = try backend.read(output, rows: 0 ..< 3)
            for i in 0 ..< 3 * rows {
                #expect(abs(Double(yBatch[i]) - matmul[i]) <= 1e-5 * max(1, abs(matmul[i])), "\(type) matmul \(i) (blas ≥ \(blasMinimumRows))")
            }
        }
    }
}
