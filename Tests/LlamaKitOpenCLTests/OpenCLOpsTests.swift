import Foundation
import LlamaKit
import LlamaKitCPU
import LlamaKitOpenCL
import Testing

/// Every op of the OpenCL backend against the CPU backend on random data, with shapes that exercise the
/// edges (partial tiles, widths that are not multiples of a work-group, GQA, positions past zero).
@Suite("OpenCL ops against the CPU backend")
struct OpenCLOpsTests {
    /// The same tensors on both backends.
    struct Pair {
        let gpu: OpenCLBackend
        let cpu = CPUBackend(threads: 2)

        func tensor(_ values: [Float], rows: Int, columns: Int) throws -> (any BackendTensor, any BackendTensor) {
            let g = try gpu.makeTensor(type: .f32, rows: rows, columns: columns)
            let c = try cpu.makeTensor(type: .f32, rows: rows, columns: columns)
            try gpu.write(values, to: g, firstRow: 0)
            try cpu.write(values, to: c, firstRow: 0)
            return (g, c)
        }

        func weight(_ values: [Float], rows: Int, columns: Int) throws -> (any BackendTensor, any BackendTensor) {
            let allocation = HostAllocation(floats: values)
            let host = HostTensor(name: "w", type: .f32, rows: rows, columns: columns, bytes: allocation.buffer, owner: allocation)
            return (try gpu.weight(host), try cpu.weight(host))
        }

        func difference(_ tensors: (any BackendTensor, any BackendTensor), rows: Int) throws -> Float {
            OpenCLTestSupport.maxAbsDiff(try gpu.read(tensors.0, rows: 0 ..< rows), try cpu.read(tensors.1, rows: 0 ..< rows))
        }
    }

    static func pair() throws -> Pair { Pair(gpu: try OpenCLTestSupport.backend()) }

    @Test("rmsNorm, in place and not, over widths that are not a multiple of the group")
    func rmsNorm() throws {
        let p = try Self.pair()
        for columns in [1, 7, 576, 1000] {
            let x = try p.tensor(OpenCLTestSupport.randomFloats(5 * columns, seed: 1, scale: 3), rows: 5, columns: columns)
            let w = try p.weight(OpenCLTestSupport.randomFloats(columns, seed: 2), rows: 1, columns: columns)
            let out = try p.tensor([Float](repeating: 0, count: 5 * columns), rows: 5, columns: columns)
            try p.gpu.rmsNorm(x.0, weight: w.0, epsilon: 1e-5, into: out.0, rows: 4)
            try p.cpu.rmsNorm(x.1, weight: w.1, epsilon: 1e-5, into: out.1, rows: 4)
            #expect(try p.difference(out, rows: 5) < 1e-5, "width \(columns)")
            try p.gpu.rmsNorm(x.0, weight: w.0, epsilon: 1e-5, into: x.0, rows: 5)
            try p.cpu.rmsNorm(x.1, weight: w.1, epsilon: 1e-5, into: x.1, rows: 5)
            #expect(try p.difference(x, rows: 5) < 1e-5, "in place, width \(columns)")
        }
    }

    /// A pair whose OpenCL side uses the given kernel family.
    static func pair(_ kernels: OpenCLBackend.KernelFamily) throws -> Pair {
        let device = try OpenCLTestSupport.backend().device.index
        let pair = Pair(gpu: try OpenCLBackend(device: device, options: .init(kernels: kernels)))
        #expect(pair.gpu.kernels == kernels)
        return pair
    }

    @Test("matmul: decode and batches through both kernel families, partial tiles, odd widths, wider outputs",
          arguments: [OpenCLBackend.KernelFamily.gpu, .cpu])
    func matmul(kernels: OpenCLBackend.KernelFamily) throws {
        let p = try Self.pair(kernels)
        // k = 203 ends mid-granule: the float kernels' tail path.
        for (k, n, width) in [(200, 131, 140), (203, 65, 65)] {
            for rows in [1, 3, 9, 64, 70] {
                let x = try p.tensor(OpenCLTestSupport.randomFloats(rows * k, seed: 3), rows: rows, columns: k)
                let w = try p.weight(OpenCLTestSupport.randomFloats(n * k, seed: 4), rows: n, columns: k)
                let out = try p.tensor([Float](repeating: 5, count: rows * width), rows: rows, columns: width)
                try p.gpu.matmul(x.0, weight: w.0, into: out.0, rows: rows)
                try p.cpu.matmul(x.1, weight: w.1, into: out.1, rows: rows)
                let diff = try p.difference(out, rows: rows)
                #expect(diff < 1e-4, "\(kernels): \(rows)x\(k) · \(n)x\(k)ᵀ differs by \(diff)")
            }
        }
    }

    @Test("rope, both layouts, at a position past zero")
    func rope() throws {
        let p = try Self.pair()
        let (heads, headDim, rows) = (3, 64, 6)
        let frequencies = RotaryEmbedding.inverseFrequencies(headDim: headDim, theta: 10_000)
        for layout in [RopeLayout.interleaved, .halves] {
            // Exactly heads * headDim wide: the CPU kernel assumes packed rows.
            let x = try p.tensor(OpenCLTestSupport.randomFloats(rows * heads * headDim, seed: 5), rows: rows, columns: heads * headDim)
            try p.gpu.rope(x.0, rows: rows - 1, heads: heads, headDim: headDim, firstPosition: 1000, inverseFrequencies: frequencies, layout: layout)
            try p.cpu.rope(x.1, rows: rows - 1, heads: heads, headDim: headDim, firstPosition: 1000, inverseFrequencies: frequencies, layout: layout)
            let diff = try p.difference(x, rows: rows)
            #expect(diff < 1e-4, "\(layout): \(diff)")
        }
    }

    @Test("attention with grouped KV heads over a partly filled cache, both kernel families",
          arguments: [OpenCLBackend.KernelFamily.gpu, .cpu])
    func attention(kernels: OpenCLBackend.KernelFamily) throws {
        let p = try Self.pair(kernels)
        let (heads, kvHeads, context) = (6, 2, 150)
        // 40: the register kernel (cpu); 42: not a multiple of 4, so the group kernel serves the cpu family too.
        for headDim in [40, 42] {
            for (rows, firstPosition) in [(1, 0), (1, 130), (7, 0), (20, 100)] {
                let q = try p.tensor(OpenCLTestSupport.randomFloats(rows * heads * headDim, seed: 6, scale: 2), rows: rows, columns: heads * headDim)
                let keys = try p.tensor(OpenCLTestSupport.randomFloats(context * kvHeads * headDim, seed: 7, scale: 2), rows: context, columns: kvHeads * headDim)
                let values = try p.tensor(OpenCLTestSupport.randomFloats(context * kvHeads * headDim, seed: 8), rows: context, columns: kvHeads * headDim)
                let out = try p.tensor([Float](repeating: 0, count: rows * heads * headDim), rows: rows, columns: heads * headDim)
                let scale = 1 / Float(headDim).squareRoot()
                try p.gpu.attention(query: q.0, keys: keys.0, values: values.0, into: out.0, rows: rows, firstPosition: firstPosition,
                                    heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
                try p.cpu.attention(query: q.1, keys: keys.1, values: values.1, into: out.1, rows: rows, firstPosition: firstPosition,
                                    heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
                #expect(try p.difference(out, rows: rows) < 1e-5, "\(kernels), head dim \(headDim): \(rows) rows at \(firstPosition)")
            }
        }
    }

    @Test("swiglu (in place), add, copyRows (also overlapping), getRows of f32")
    func elementwise() throws {
        let p = try Self.pair()
        let (rows, columns) = (4, 333)
        let gate = try p.tensor(OpenCLTestSupport.randomFloats(rows * columns, seed: 9, scale: 6), rows: rows, columns: columns)
        let up = try p.tensor(OpenCLTestSupport.randomFloats(rows * columns, seed: 10), rows: rows, columns: columns)
        try p.gpu.swiglu(gate: gate.0, up: up.0, into: gate.0, rows: 3)
        try p.cpu.swiglu(gate: gate.1, up: up.1, into: gate.1, rows: 3)
        #expect(try p.difference(gate, rows: rows) < 1e-5)

        try p.gpu.add(up.0, into: gate.0, rows: 4)
        try p.cpu.add(up.1, into: gate.1, rows: 4)
        #expect(try p.difference(gate, rows: rows) < 1e-5)

        let cache = try p.tensor([Float](repeating: 0, count: 10 * columns), rows: 10, columns: columns)
        try p.gpu.copyRows(up.0, sourceRow: 1, into: cache.0, destinationRow: 6, rows: 3)
        try p.cpu.copyRows(up.1, sourceRow: 1, into: cache.1, destinationRow: 6, rows: 3)
        try p.gpu.copyRows(cache.0, sourceRow: 6, into: cache.0, destinationRow: 5, rows: 3)  // overlapping
        try p.cpu.copyRows(cache.1, sourceRow: 6, into: cache.1, destinationRow: 5, rows: 3)
        #expect(try p.difference(cache, rows: 10) == 0)

        let table = try p.weight(OpenCLTestSupport.randomFloats(50 * columns, seed: 11), rows: 50, columns: columns)
        let out = try p.tensor([Float](repeating: 0, count: 3 * columns), rows: 3, columns: columns)
        try p.gpu.getRows(table.0, ids: [49, 0, 17], into: out.0)
        try p.cpu.getRows(table.1, ids: [49, 0, 17], into: out.1)
        #expect(try p.difference(out, rows: 3) == 0)
    }

    @Test("bad inputs are typed errors, not crashes")
    func badInputs() throws {
        let p = try Self.pair()
        let x = try p.gpu.makeTensor(type: .f32, rows: 2, columns: 8)
        let table = try p.weight([Float](repeating: 1, count: 16), rows: 2, columns: 8)
        #expect(throws: BackendError.self) { try p.gpu.getRows(table.0, ids: [2], into: x) }
        #expect(throws: BackendError.self) { try p.gpu.write([1, 2, 3], to: x, firstRow: 0) }
        #expect(throws: BackendError.self) { _ = try p.gpu.read(x, rows: 0 ..< 3) }
        #expect(throws: BackendError.foreignTensor(backend: "opencl")) { try p.gpu.add(table.1, into: x, rows: 1) }
        #expect(throws: BackendError.self) { try p.gpu.matmul(x, weight: table.0, into: x, rows: 3) }
        #expect(throws: BackendError.self) { _ = try p.gpu.makeTensor(type: .q4_0, rows: 1, columns: 32) }
    }

    @Test("types listed as CPU-fallback run on the CPU with identical results; supports() says so")
    func cpuFallback() throws {
        let device = try OpenCLTestSupport.backend().device.index
        let file = try GGUFFile(path: OpenCLTestSupport.fixtures.appendingPathComponent("quant/types.gguf").path)
        let host = try file.tensor("Q4_K")
        let norm = HostAllocation(floats: OpenCLTestSupport.randomFloats(host.columns, seed: 12))
        let normHost = HostTensor(name: "norm", type: .f32, rows: 1, columns: host.columns, bytes: norm.buffer, owner: norm)
        let native = try OpenCLTestSupport.backend()
        let fallback = try OpenCLBackend(device: device, options: .init(cpuFallbackTypes: [.q4_K, .f32], cpuThreads: 2))
        #expect(!fallback.supports(.matmul, type: .q4_K) && !fallback.supports(.getRows, type: .q4_K))
        #expect(fallback.supports(.matmul, type: .q4_0) && native.supports(.matmul, type: .q4_K))
        #expect(fallback.supports(.attention, type: .f32) && !fallback.supports(.attention, type: .f16))

        var results: [[Float]] = []
        for backend in [native, fallback] {
            let weight = try backend.weight(host)
            let normWeight = try backend.weight(normHost)
            let x = try backend.makeTensor(type: .f32, rows: 3, columns: host.columns)
            let out = try backend.makeTensor(type: .f32, rows: 3, columns: host.rows + 3)
            try backend.write([Float](repeating: -1, count: 3 * (host.rows + 3)), to: out, firstRow: 0)
            try backend.getRows(weight, ids: [1, 3, 0], into: x)
            try backend.rmsNorm(x, weight: normWeight, epsilon: 1e-6, into: x, rows: 3)
            try backend.matmul(x, weight: weight, into: out, rows: 3)
            results.append(try backend.read(x, rows: 0 ..< 3) + backend.read(out, rows: 0 ..< 3))
        }
        #expect(OpenCLTestSupport.maxAbsDiff(results[0], results[1]) < 1e-4)
        #expect(results[1].suffix(3).allSatisfy { $0 == -1 }, "the fallback matmul wrote past the weight's rows")
    }

    @Test("device memory is counted; a request past it is a typed error")
    func outOfDeviceMemory() throws {
        // A backend of its own: the shared one allocates and frees in parallel tests.
        let backend = try OpenCLBackend(device: try OpenCLTestSupport.backend().device.index)
        do {
            let tensor = try backend.makeTensor(type: .f32, rows: 1000, columns: 1000)
            #expect(backend.deviceBytesInUse == 4_000_000)
            _ = tensor
        }
        #expect(backend.deviceBytesInUse == 0)
        let huge = backend.device.globalMemoryBytes / 4 + 1_000_000
        #expect(throws: OpenCLError.self) { _ = try backend.makeTensor(type: .f32, rows: huge / 1000, columns: 1000) }
    }
}
