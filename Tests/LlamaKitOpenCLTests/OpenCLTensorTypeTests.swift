import Foundation
import LlamaKit
import LlamaKitOpenCL
import Testing

/// Every stored type on the device against gguf-py (Tests/Fixtures/quant, as TensorTypeTests does for the
/// CPU): the embedding lookup decodes bit-exactly; matvec (one and several rows), the tiled and the row-block kernels match
/// the float64 products of the reference values, through every matmul kernel.
@Suite("OpenCL tensor types against gguf-py")
struct OpenCLTensorTypeTests {
    static let types: [TensorType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q4_K, .q6_K]

    @Test(arguments: types)
    func decodingAndMatmul(type: TensorType) throws {
        let file = try GGUFFile(path: OpenCLTestSupport.fixtures.appendingPathComponent("quant/types.gguf").path)
        let host = try file.tensor(type.description)
        let reference = try OpenCLTestSupport.npy("quant/\(type)_dequant.npy")
        let x = try OpenCLTestSupport.npy("quant/x.npy").values.map(Float.init)
        let xBatch = try OpenCLTestSupport.npy("quant/x_batch.npy").values.map(Float.init)
        let matvec = try OpenCLTestSupport.npy("quant/\(type)_matvec.npy").values
        let matmul = try OpenCLTestSupport.npy("quant/\(type)_matmul.npy").values
        let rows = host.rows, columns = host.columns
        let device = try OpenCLTestSupport.backend().device.index

        // The 3-row batch goes through each batch kernel (tiled, row blocks), and with a minimum of 1000 rows
        // through both matvec shapes with 3 rows.
        let configurations: [(kernels: OpenCLBackend.KernelFamily, minimumRows: Int)] = [(.gpu, 2), (.cpu, 2), (.gpu, 1_000), (.cpu, 1_000)]
        for configuration in configurations {
            let backend = try OpenCLBackend(device: device, options: .init(batchMinimumRows: configuration.minimumRows,
                                                                           kernels: configuration.kernels))
            #expect(backend.supports(.matmul, type: type) && backend.supports(.getRows, type: type))
            let weight = try backend.weight(host)

            let expanded = try backend.makeTensor(type: .f32, rows: rows, columns: columns)
            try backend.getRows(weight, ids: (0 ..< Int32(rows)).reversed(), into: expanded)
            let values = try backend.read(expanded, rows: 0 ..< rows)
            let expected = (0 ..< rows).reversed().flatMap { r in reference.values[r * columns ..< (r + 1) * columns] }
            let decodeError = zip(values, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(decodeError == 0, "\(type): decoded values differ from gguf-py by \(decodeError)")

            let input = try backend.makeTensor(type: .f32, rows: 3, columns: columns)
            // Wider than the weight: only the first `rows` columns may be written.
            let output = try backend.makeTensor(type: .f32, rows: 3, columns: rows + 5)
            try backend.write([Float](repeating: 7, count: 3 * (rows + 5)), to: output, firstRow: 0)
            try backend.write(x, to: input, firstRow: 0)
            try backend.matmul(input, weight: weight, into: output, rows: 1)
            let y = try backend.read(output, rows: 0 ..< 1)
            for i in 0 ..< rows {
                #expect(abs(Double(y[i]) - matvec[i]) <= 1e-5 * max(1, abs(matvec[i])), "\(type) matvec row \(i): \(y[i]) vs \(matvec[i])")
            }
            #expect(y[rows...].allSatisfy { $0 == 7 }, "\(type): matvec wrote past the weight's rows")

            try backend.write(xBatch, to: input, firstRow: 0)
            try backend.matmul(input, weight: weight, into: output, rows: 3)
            let yBatch = try backend.read(output, rows: 0 ..< 3)
            for r in 0 ..< 3 {
                for i in 0 ..< rows {
                    let expected = matmul[r * rows + i]
                    let got = Double(yBatch[r * (rows + 5) + i])
                    #expect(abs(got - expected) <= 1e-5 * max(1, abs(expected)), "\(type) matmul [\(r), \(i)] (\(configuration)): \(got) vs \(expected)")
                }
                #expect(yBatch[(r * (rows + 5) + rows) ..< ((r + 1) * (rows + 5))].allSatisfy { $0 == 7 })
            }
        }
    }
}
