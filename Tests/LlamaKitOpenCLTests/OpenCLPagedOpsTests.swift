import Foundation
import LlamaKit
import LlamaKitCPU
@testable import LlamaKitOpenCL
import Testing

/// The ops of a continuous batch on the OpenCL backend: RoPE at per-row positions, stores into scattered cache
/// slots, and attention that reads each row's sequence through a slot list over a pool of 16-row blocks.
/// Attention is checked against a float64 reference computed here, and the contiguous case against the
/// kernels as they were before slot lists (bit for bit).
@Suite("OpenCL batched ops over a paged KV cache")
struct OpenCLPagedOpsTests {
    typealias Support = OpenCLTestSupport

    /// Sequences whose positions sit in blocks of 16 cache rows, each sequence's blocks listed in position order.
    struct Pool {
        static let blockRows = 16
        let blocks: [[Int]]

        func slot(_ sequence: Int, _ position: Int) -> Int32 {
            Int32(blocks[sequence][position / Self.blockRows] * Self.blockRows + position % Self.blockRows)
        }

        /// The layout of query rows given as (sequence, position): one slot list per sequence, long enough for
        /// its last row in the batch, in order of first appearance.
        func layout(_ rows: [(sequence: Int, position: Int)]) -> AttentionLayout {
            let last = Dictionary(rows.map { ($0.sequence, $0.position) }, uniquingKeysWith: max)
            var slots: [Int32] = []
            var start: [Int: Int32] = [:]
            for row in rows where start[row.sequence] == nil {
                start[row.sequence] = Int32(slots.count)
                slots += (0 ... last[row.sequence]!).map { slot(row.sequence, $0) }
            }
            return AttentionLayout(slots: slots, rowStart: rows.map { start[$0.sequence]! },
                                   rowLength: rows.map { Int32($0.position + 1) })
        }
    }

    /// softmax(q·k · scale)·v per query row and head in float64, over the cache rows the layout lists.
    static func reference(q: [Float], keys: [Float], values: [Float], layout: AttentionLayout,
                          heads: Int, kvHeads: Int, headDim: Int, scale: Float) -> [Double] {
        let rows = layout.rowStart.count
        let (qWidth, kvWidth) = (heads * headDim, kvHeads * headDim)
        var out = [Double](repeating: 0, count: rows * qWidth)
        for r in 0 ..< rows {
            let start = Int(layout.rowStart[r])
            let slots = layout.slots[start ..< start + Int(layout.rowLength[r])].map(Int.init)
            for h in 0 ..< heads {
                let kv = h / (heads / kvHeads) * headDim
                let qh = r * qWidth + h * headDim
                let scores = slots.map { s in
                    (0 ..< headDim).reduce(0.0) { $0 + Double(q[qh + $1]) * Double(keys[s * kvWidth + kv + $1]) } * Double(scale)
                }
                let top = scores.max()!
                let weights = scores.map { Foundation.exp($0 - top) }
                let sum = weights.reduce(0, +)
                for d in 0 ..< headDim {
                    out[qh + d] = zip(weights, slots).reduce(0.0) { $0 + $1.0 * Double(values[$1.1 * kvWidth + kv + d]) } / sum
                }
            }
        }
        return out
    }

    /// The largest error of each (row, head) output relative to that output's largest magnitude.
    static func relativeError(_ result: [Float], _ reference: [Double], headDim: Int) -> Double {
        var worst = 0.0
        for head in stride(from: 0, to: reference.count, by: headDim) {
            let range = head ..< head + headDim
            let magnitude = max(reference[range].map(abs).max()!, 1e-30)
            let error = range.map { abs(Double(result[$0]) - reference[$0]) }.max()!
            worst = max(worst, error / magnitude)
        }
        return worst
    }

    static func backend(_ kernels: OpenCLBackend.KernelFamily) throws -> OpenCLBackend {
        let backend = try OpenCLBackend(device: try Support.backend().device.index, options: .init(kernels: kernels))
        #expect(backend.kernels == kernels)
        return backend
    }

    static func tensor(_ backend: any Backend, _ values: [Float], rows: Int, columns: Int) throws -> any BackendTensor {
        let tensor = try backend.makeTensor(type: .f32, rows: rows, columns: columns)
        try backend.write(values, to: tensor, firstRow: 0)
        return tensor
    }

    // MARK: RoPE

    @Test("rope at non-consecutive (and repeated) positions: equal to rotating each row alone, and to the CPU backend")
    func ropePositions() throws {
        let gpu = try Support.backend()
        let cpu = CPUBackend(threads: 2)
        let (heads, headDim, rows) = (3, 64, 7)
        let width = heads * headDim
        let frequencies = RotaryEmbedding.inverseFrequencies(headDim: headDim, theta: 10_000)
        let positions: [Int32] = [7, 4095, 0, 131, 7, 2, 60_000]
        for layout in [RopeLayout.interleaved, .halves] {
            // One row more than rotated: the op must leave it alone.
            let input = Support.randomFloats((rows + 1) * width, seed: 21, scale: 2)
            let x = try Self.tensor(gpu, input, rows: rows + 1, columns: width)
            let c = try Self.tensor(cpu, input, rows: rows + 1, columns: width)
            try gpu.rope(x, rows: rows, heads: heads, headDim: headDim, positions: positions, inverseFrequencies: frequencies, layout: layout)
            try cpu.rope(c, rows: rows, heads: heads, headDim: headDim, positions: positions, inverseFrequencies: frequencies, layout: layout)
            let result = try gpu.read(x, rows: 0 ..< rows + 1)
            #expect(Array(result[(rows * width)...]) == Array(input[(rows * width)...]), "\(layout): the row past `rows` changed")
            let diff = Support.maxAbsDiff(result, try cpu.read(c, rows: 0 ..< rows + 1))
            #expect(diff < 1e-4, "\(layout): \(diff) from the CPU backend")

            for (r, position) in positions.enumerated() {
                let one = try Self.tensor(gpu, Array(input[(r * width) ..< ((r + 1) * width)]), rows: 1, columns: width)
                try gpu.rope(one, rows: 1, heads: heads, headDim: headDim, firstPosition: Int(position),
                             inverseFrequencies: frequencies, layout: layout)
                #expect(try gpu.read(one, rows: 0 ..< 1) == Array(result[(r * width) ..< ((r + 1) * width)]),
                        "\(layout): row \(r) at position \(position)")
            }
        }
        let x = try gpu.makeTensor(type: .f32, rows: 2, columns: width)
        #expect(throws: BackendError.self) {
            try gpu.rope(x, rows: 2, heads: heads, headDim: headDim, positions: [1], inverseFrequencies: frequencies, layout: .halves)
        }
        #expect(throws: BackendError.self) {
            try gpu.rope(x, rows: 2, heads: heads, headDim: headDim, positions: [1, -1], inverseFrequencies: frequencies, layout: .halves)
        }
    }

    // MARK: storeRows

    @Test("storeRows: scattered slots (kernel), runs of consecutive slots (copies), a changed slot list, one tensor as both ends")
    func storeRows() throws {
        let gpu = try Support.backend()
        let cpu = CPUBackend(threads: 2)
        for width in [42, 128] {  // 42: the kernel's partial last granule
            let cacheRows = 64
            let sentinel = [Float](repeating: -7, count: cacheRows * width)
            let source = Support.randomFloats(12 * width, seed: 22, scale: 3)
            let s = try Self.tensor(gpu, source, rows: 12, columns: width)
            let cs = try Self.tensor(cpu, source, rows: 12, columns: width)
            let slotLists: [[Int32]] = [
                [50, 3, 17, 18, 19, 40, 0, 63, 33, 8],  // decode rows of many sequences: the kernel
                [9, 2, 17, 60, 18, 19, 40, 1, 62, 33],  // same count, other slots: must not reuse the upload
                Array(16 ..< 28),  // a prompt chunk in consecutive blocks: one copy
                [32, 33, 34, 35, 4, 5, 6],  // a chunk across two blocks: two copies
                [5],
            ]
            for slots in slotLists {
                for _ in 0 ..< 2 {  // the second pass stores into a fresh cache with the cached slot upload
                    let d = try Self.tensor(gpu, sentinel, rows: cacheRows, columns: width)
                    let cd = try Self.tensor(cpu, sentinel, rows: cacheRows, columns: width)
                    try gpu.storeRows(s, into: d, slots: slots)
                    try cpu.storeRows(cs, into: cd, slots: slots)
                    var expected = sentinel
                    for (i, slot) in slots.enumerated() {
                        expected.replaceSubrange(Int(slot) * width ..< (Int(slot) + 1) * width, with: source[(i * width) ..< ((i + 1) * width)])
                    }
                    let result = try gpu.read(d, rows: 0 ..< cacheRows)
                    #expect(result == expected, "width \(width), slots \(slots)")
                    #expect(try cpu.read(cd, rows: 0 ..< cacheRows) == result, "width \(width), slots \(slots): differs from the CPU backend")
                }
            }

            // Source and destination the same tensor: rows 0..<3 go to rows 2, 9, 4.
            let both = try Self.tensor(gpu, source, rows: 12, columns: width)
            try gpu.storeRows(both, into: both, slots: [2, 9, 4])
            var expected = source
            for (i, slot) in [2, 9, 4].enumerated() {
                expected.replaceSubrange(slot * width ..< (slot + 1) * width, with: source[(i * width) ..< ((i + 1) * width)])
            }
            #expect(try gpu.read(both, rows: 0 ..< 12) == expected, "width \(width): in place")

            let d = try gpu.makeTensor(type: .f32, rows: cacheRows, columns: width)
            #expect(throws: BackendError.self) { try gpu.storeRows(s, into: d, slots: [1, 64]) }
            #expect(throws: BackendError.self) { try gpu.storeRows(s, into: d, slots: [-1]) }
            #expect(throws: BackendError.self) { try gpu.storeRows(s, into: d, slots: (0 ..< 13).map { Int32($0) }) }
        }
    }

    // MARK: Attention

    /// Three sequences of 37, 150 and 5 positions in scattered blocks of a 24-block pool (rows of other
    /// blocks hold unrelated values, so reading a wrong row shows).
    static let pool = Pool(blocks: [[7, 2, 15], [0, 11, 4, 19, 9, 21, 1, 14, 23, 5], [13]])
    static let poolRows = 24 * Pool.blockRows

    @Test("attention over scattered blocks: decode rows of three sequences, then a chunk of one among decode rows, against float64",
          arguments: [OpenCLBackend.KernelFamily.gpu, .cpu])
    func pagedAttention(kernels: OpenCLBackend.KernelFamily) throws {
        let gpu = try Self.backend(kernels)
        let (heads, kvHeads) = (6, 2)
        let batches: [[(sequence: Int, position: Int)]] = [
            [(0, 36), (1, 149), (2, 4)],
            [(0, 36)] + (130 ..< 150).map { (1, $0) } + [(2, 4)],
            [(2, 4), (0, 20), (0, 21)],  // a two-row chunk ending mid-list, rows out of sequence order
        ]
        // 40: the register kernel (cpu family); 42: not a multiple of 4, so the group kernel serves both.
        for headDim in [40, 42] {
            let kvWidth = kvHeads * headDim
            let keys = Support.randomFloats(Self.poolRows * kvWidth, seed: 23, scale: 2)
            let values = Support.randomFloats(Self.poolRows * kvWidth, seed: 24)
            let k = try Self.tensor(gpu, keys, rows: Self.poolRows, columns: kvWidth)
            let v = try Self.tensor(gpu, values, rows: Self.poolRows, columns: kvWidth)
            let scale = 1 / Float(headDim).squareRoot()
            for batch in batches {
                let rows = batch.count
                let layout = Self.pool.layout(batch)
                let query = Support.randomFloats(rows * heads * headDim, seed: 25, scale: 2)
                let q = try Self.tensor(gpu, query, rows: rows, columns: heads * headDim)
                let out = try gpu.makeTensor(type: .f32, rows: rows, columns: heads * headDim)
                try gpu.attention(query: q, keys: k, values: v, into: out, rows: rows, layout: layout,
                                  heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
                let expected = Self.reference(q: query, keys: keys, values: values, layout: layout,
                                              heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
                let error = Self.relativeError(try gpu.read(out, rows: 0 ..< rows), expected, headDim: headDim)
                #expect(error < 1e-5, "\(kernels), head dim \(headDim), \(rows) rows: relative error \(error)")
            }
        }
    }

    @Test("attention over scattered blocks is bit for bit the attention over the same rows held contiguously",
          arguments: [OpenCLBackend.KernelFamily.gpu, .cpu])
    func pagedEqualsContiguous(kernels: OpenCLBackend.KernelFamily) throws {
        let gpu = try Self.backend(kernels)
        let (heads, kvHeads, length) = (4, 2, 150)
        for headDim in [40, 42] {
            let kvWidth = kvHeads * headDim
            let contiguousKeys = Support.randomFloats(length * kvWidth, seed: 26, scale: 2)
            let contiguousValues = Support.randomFloats(length * kvWidth, seed: 27)
            // Sequence 1 of the pool: position p at its slot, other rows unrelated.
            var pagedKeys = Support.randomFloats(Self.poolRows * kvWidth, seed: 28, scale: 2)
            var pagedValues = Support.randomFloats(Self.poolRows * kvWidth, seed: 29)
            for p in 0 ..< length {
                let slot = Int(Self.pool.slot(1, p))
                pagedKeys.replaceSubrange(slot * kvWidth ..< (slot + 1) * kvWidth, with: contiguousKeys[(p * kvWidth) ..< ((p + 1) * kvWidth)])
                pagedValues.replaceSubrange(slot * kvWidth ..< (slot + 1) * kvWidth, with: contiguousValues[(p * kvWidth) ..< ((p + 1) * kvWidth)])
            }
            let cache = (try Self.tensor(gpu, contiguousKeys, rows: length, columns: kvWidth),
                         try Self.tensor(gpu, contiguousValues, rows: length, columns: kvWidth))
            let paged = (try Self.tensor(gpu, pagedKeys, rows: Self.poolRows, columns: kvWidth),
                         try Self.tensor(gpu, pagedValues, rows: Self.poolRows, columns: kvWidth))
            let scale = 1 / Float(headDim).squareRoot()
            for (rows, firstPosition) in [(1, 149), (20, 130), (7, 0)] {
                let q = try Self.tensor(gpu, Support.randomFloats(rows * heads * headDim, seed: 30, scale: 2), rows: rows, columns: heads * headDim)
                let out = try gpu.makeTensor(type: .f32, rows: rows, columns: heads * headDim)
                try gpu.attention(query: q, keys: cache.0, values: cache.1, into: out, rows: rows, firstPosition: firstPosition,
                                  heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
                let contiguous = try gpu.read(out, rows: 0 ..< rows)
                try gpu.attention(query: q, keys: paged.0, values: paged.1, into: out, rows: rows,
                                  layout: Self.pool.layout((0 ..< rows).map { (1, firstPosition + $0) }),
                                  heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
                #expect(try gpu.read(out, rows: 0 ..< rows) == contiguous, "\(kernels), head dim \(headDim): \(rows) rows at \(firstPosition)")
            }
        }
    }

    @Test("contiguous attention (firstPosition) is bit for bit the kernels before slot lists",
          arguments: [OpenCLBackend.KernelFamily.gpu, .cpu])
    func contiguousEqualsPreviousKernels(kernels: OpenCLBackend.KernelFamily) throws {
        let gpu = try Self.backend(kernels)
        let previous = try PreviousAttention(backend: gpu)
        let (heads, kvHeads, context) = (6, 2, 150)
        for headDim in [40, 42] {
            let kvWidth = kvHeads * headDim
            let keys = Support.randomFloats(context * kvWidth, seed: 7, scale: 2)
            let values = Support.randomFloats(context * kvWidth, seed: 8)
            let k = try Self.tensor(gpu, keys, rows: context, columns: kvWidth)
            let v = try Self.tensor(gpu, values, rows: context, columns: kvWidth)
            let scale = 1 / Float(headDim).squareRoot()
            for (rows, firstPosition) in [(1, 0), (1, 130), (7, 0), (20, 100), (64, 86)] {
                let query = Support.randomFloats(rows * heads * headDim, seed: 6, scale: 2)
                let q = try Self.tensor(gpu, query, rows: rows, columns: heads * headDim)
                let out = try gpu.makeTensor(type: .f32, rows: rows, columns: heads * headDim)
                try gpu.attention(query: q, keys: k, values: v, into: out, rows: rows, firstPosition: firstPosition,
                                  heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
                let expected = try previous.run(query: query, keys: keys, values: values, rows: rows, firstPosition: firstPosition,
                                                heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
                #expect(try gpu.read(out, rows: 0 ..< rows) == expected, "\(kernels), head dim \(headDim): \(rows) rows at \(firstPosition)")
            }
        }
    }

    @Test("attention layouts are validated, also a cached layout against a smaller cache; a changed layout is re-uploaded")
    func layoutValidationAndCaching() throws {
        let gpu = try Support.backend()
        let (heads, kvHeads, headDim) = (2, 1, 8)
        let keys = Support.randomFloats(Self.poolRows * headDim, seed: 31, scale: 2)
        let values = Support.randomFloats(Self.poolRows * headDim, seed: 32)
        let k = try Self.tensor(gpu, keys, rows: Self.poolRows, columns: headDim)
        let v = try Self.tensor(gpu, values, rows: Self.poolRows, columns: headDim)
        let small = (try gpu.makeTensor(type: .f32, rows: 100, columns: headDim), try gpu.makeTensor(type: .f32, rows: 100, columns: headDim))
        let query = Support.randomFloats(2 * heads * headDim, seed: 33, scale: 2)
        let q = try Self.tensor(gpu, query, rows: 2, columns: heads * headDim)
        let out = try gpu.makeTensor(type: .f32, rows: 2, columns: heads * headDim)
        func run(_ layout: AttentionLayout, keys k: any BackendTensor, values v: any BackendTensor) throws -> Double {
            try gpu.attention(query: q, keys: k, values: v, into: out, rows: 2, layout: layout,
                              heads: heads, kvHeads: kvHeads, headDim: headDim, scale: 0.3)
            let expected = Self.reference(q: query, keys: keys, values: values, layout: layout,
                                          heads: heads, kvHeads: kvHeads, headDim: headDim, scale: 0.3)
            return Self.relativeError(try gpu.read(out, rows: 0 ..< 2), expected, headDim: headDim)
        }

        let good = Self.pool.layout([(0, 40), (2, 3)])  // slots up to row 255 of the pool
        #expect(try run(good, keys: k, values: v) < 1e-5)
        // The same layout, now over a 100-row cache that its slots overrun: must be checked again.
        #expect(throws: BackendError.self) {
            try gpu.attention(query: q, keys: small.0, values: small.1, into: out, rows: 2, layout: good,
                              heads: heads, kvHeads: kvHeads, headDim: headDim, scale: 0.3)
        }
        // Same sizes, other slots: the upload must follow.
        var moved = good
        moved.slots = moved.slots.map { Int32(Self.poolRows) - 1 - $0 }
        #expect(try run(moved, keys: k, values: v) < 1e-5)
        #expect(try run(good, keys: k, values: v) < 1e-5)

        let bad: [AttentionLayout] = [
            AttentionLayout(slots: good.slots, rowStart: [0], rowLength: [1]),  // one row described for two
            AttentionLayout(slots: [0, 1, Int32(Self.poolRows)], rowStart: [0, 0], rowLength: [3, 2]),  // slot outside the cache
            AttentionLayout(slots: [0, 1, 2], rowStart: [0, 2], rowLength: [3, 2]),  // reads past the slot list
            AttentionLayout(slots: [0, 1, 2], rowStart: [0, 0], rowLength: [0, 2]),  // attends to nothing
            AttentionLayout(slots: [-1, 1, 2], rowStart: [0, 0], rowLength: [1, 2]),
        ]
        for layout in bad {
            #expect(throws: BackendError.self, "\(layout)") {
                try gpu.attention(query: q, keys: k, values: v, into: out, rows: 2, layout: layout,
                                  heads: heads, kvHeads: kvHeads, headDim: headDim, scale: 0.3)
            }
        }
        #expect(try run(good, keys: k, values: v) < 1e-5, "a valid layout after refused ones")
    }
}

/// The attention kernels as they were when the cache held one sequence from row 0 (`first_position`), run on
/// the backend's device with the backend's build options and launch shapes.
///
/// They are built among the backend's other kernels, as the backend builds its program: PoCL compiles the same
/// kernel source 1–2 ulp differently in a program without them (its inlining and vectorisation depend on the
/// whole program), which would hide whether the kernels themselves changed.
struct PreviousAttention {
    let runtime: OpenCLRuntime
    let ledger: MemoryLedger
    let backend: OpenCLBackend

    init(backend: OpenCLBackend) throws {
        guard let handle = try DeviceDiscovery.all().first(where: { $0.info.index == backend.device.index }) else {
            throw OpenCLError.deviceIndexOutOfRange(index: backend.device.index, count: 0)
        }
        runtime = try OpenCLRuntime(handle: handle)
        ledger = MemoryLedger(capacity: Int.max / 2, device: handle.info.name)
        self.backend = backend
        let options = handle.info.hasCorrectlyRoundedDivideSqrt ? "-cl-fp32-correctly-rounded-divide-sqrt" : ""
        try runtime.buildProgram(source: Self.source, options: options, kernelNames: ["attention", "attention_rows"], cache: nil)
    }

    func buffer(_ values: [Float]) throws -> DeviceBuffer {
        let buffer = DeviceBuffer(memory: try runtime.makeBuffer(bytes: values.count * 4, readOnly: false), bytes: values.count * 4, ledger: ledger)
        try values.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { try runtime.write(buffer.memory, offset: 0, from: base, count: bytes.count) }
        }
        return buffer
    }

    /// The launch the backend made before slot lists, over packed tensors.
    func run(query: [Float], keys: [Float], values: [Float], rows: Int, firstPosition: Int,
             heads: Int, kvHeads: Int, headDim: Int, scale: Float) throws -> [Float] {
        let (q, k, v) = (try buffer(query), try buffer(keys), try buffer(values))
        let o = try buffer([Float](repeating: 0, count: rows * heads * headDim))
        let arguments: [KernelArgument] = [.buffer(q.memory), .buffer(k.memory), .buffer(v.memory), .buffer(o.memory),
                                           .int(firstPosition), .int(heads), .int(kvHeads), .int(headDim),
                                           .int(heads * headDim), .int(kvHeads * headDim), .int(heads * headDim), .float(scale)]
        if backend.kernels == .cpu && headDim % 4 == 0 && headDim <= OpenCLKernels.maxRowAttentionHeadDim {
            try runtime.launch("attention_rows", arguments + [.int(rows)], global: [rows * heads], local: [backend.shapes.elementwise])
        } else {
            let size = backend.shapes.attention
            try runtime.launch("attention", arguments + [.localFloats(headDim), .localFloats(headDim), .localFloats(size), .localFloats(size)],
                               global: [heads * size, rows], local: [size, 1])
        }
        var result = [Float](repeating: 0, count: rows * heads * headDim)
        try result.withUnsafeMutableBytes { bytes in
            if let base = bytes.baseAddress { try runtime.read(o.memory, offset: 0, into: base, count: bytes.count) }
        }
        return result
    }

    /// The program: the backend's decoders and row kernels (`group_sum`, `group_max`), then the previous
    /// attention kernels.
    static var source: String {
        [OpenCLKernels.blockDecoding, OpenCLKernels.rows, OpenCLKernels.matmul, previousKernels].joined(separator: "\n")
    }

    /// `attention` and `attention_rows` before slot lists, verbatim.
    static let previousKernels = #"""
    kernel void attention(global const float *q, global const float *keys, global const float *values,
                          global float *out, int first_position, int heads, int kv_heads, int head_dim,
                          int ldq, int ldkv, int ldo, float scale,
                          local float *q_local, local float *acc, local float *probabilities, local float *scratch) {
        const int h = get_group_id(0), r = get_group_id(1);
        const int lid = get_local_id(0), size = get_local_size(0);
        const int kv_offset = (h / (heads / kv_heads)) * head_dim;
        const int count = first_position + r + 1;

        global const float *qr = q + (size_t)r * ldq + h * head_dim;
        for (int d = lid; d < head_dim; d += size) {
            q_local[d] = qr[d];
            acc[d] = 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        float running_max = -INFINITY;
        float running_sum = 0.0f;
        for (int j0 = 0; j0 < count; j0 += size) {
            const int j = j0 + lid;
            float score = -INFINITY;
            if (j < count) {
                global const float *kr = keys + (size_t)j * ldkv + kv_offset;
                float dot = 0.0f;
                for (int d = 0; d < head_dim; d++) dot = mad(q_local[d], kr[d], dot);
                score = dot * scale;
            }
            const float new_max = fmax(running_max, group_max(scratch, score));
            const float p = j < count ? exp(score - new_max) : 0.0f;
            probabilities[lid] = p;
            const float tile_sum = group_sum(scratch, p);  // its barriers also publish probabilities
            const float rescale = exp(running_max - new_max);  // 0 on the first tile (running_max = -inf)
            running_sum = running_sum * rescale + tile_sum;
            const int tile = min(size, count - j0);
            for (int d = lid; d < head_dim; d += size) {
                global const float *vr = values + (size_t)j0 * ldkv + kv_offset + d;
                float a = acc[d] * rescale;
                for (int t = 0; t < tile; t++) a = mad(probabilities[t], vr[(size_t)t * ldkv], a);
                acc[d] = a;
            }
            running_max = new_max;
            barrier(CLK_LOCAL_MEM_FENCE);  // probabilities are rewritten by the next tile
        }

        global float *o = out + (size_t)r * ldo + h * head_dim;
        const float inverse = 1.0f / running_sum;
        for (int d = lid; d < head_dim; d += size) o[d] = acc[d] * inverse;
    }

    // CPU devices: one item per (row, head), no barriers. Keys are visited one at a time with the same
    // online softmax (rescaling the accumulator when the maximum grows); q and the accumulator sit in
    // float4 registers, so head_dim must be a multiple of 4 and at most MAX_HEAD_DIM (the host checks).
    #define MAX_HEAD_DIM 256
    kernel void attention_rows(global const float *q, global const float *keys, global const float *values,
                               global float *out, int first_position, int heads, int kv_heads, int head_dim,
                               int ldq, int ldkv, int ldo, float scale, int rows) {
        const int t = get_global_id(0);
        if (t >= rows * heads) return;
        const int r = t / heads, h = t % heads;
        const int quads = head_dim >> 2;
        const int kv_offset = (h / (heads / kv_heads)) * head_dim;
        const int count = first_position + r + 1;
        float4 qv[MAX_HEAD_DIM / 4], acc[MAX_HEAD_DIM / 4];
        global const float *qr = q + (size_t)r * ldq + h * head_dim;
        for (int i = 0; i < quads; i++) {
            qv[i] = vload4(i, qr);
            acc[i] = (float4)(0.0f);
        }
        float running_max = -INFINITY, running_sum = 0.0f;
        for (int j = 0; j < count; j++) {
            global const float *kr = keys + (size_t)j * ldkv + kv_offset;
            float4 dot4 = (float4)(0.0f);
            for (int i = 0; i < quads; i++) dot4 = mad(qv[i], vload4(i, kr), dot4);
            const float score = ((dot4.x + dot4.y) + (dot4.z + dot4.w)) * scale;
            if (score > running_max) {
                const float rescale = exp(running_max - score);  // 0 for the first key
                running_sum *= rescale;
                for (int i = 0; i < quads; i++) acc[i] *= rescale;
                running_max = score;
            }
            const float p = exp(score - running_max);
            running_sum += p;
            global const float *vr = values + (size_t)j * ldkv + kv_offset;
            for (int i = 0; i < quads; i++) acc[i] = mad((float4)(p), vload4(i, vr), acc[i]);
        }
        global float *o = out + (size_t)r * ldo + h * head_dim;
        const float inverse = 1.0f / running_sum;
        for (int i = 0; i < quads; i++) vstore4(acc[i] * inverse, i, o);
    }
    """#
}
