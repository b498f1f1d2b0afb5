import COpenCL
import Foundation
import LlamaKit
import LlamaKitCPU

/// The OpenCL backend: the whole model on one OpenCL 1.2+ device (NVIDIA, AMD, Intel GPUs; PoCL on CPUs).
///
/// Weights are uploaded once, in their stored types (f32, f16, bf16, q8_0, q4_0, q4_1, q4_K, q6_K): the
/// kernels decode blocks as they read them. Activations and KV caches live on the device; only ``read(_:rows:)``
/// copies values back (the logits, once per step). All arithmetic is float32 — the same exact path as the CPU
/// backend — so logits agree with it to rounding.
///
/// One in-order command queue serves every op; calls from several threads are serialised by a lock (the
/// kernel objects carry their arguments). A weight the device cannot run — a type in
/// ``Options/cpuFallbackTypes``, or a tensor larger than the device's largest allocation — stays in host
/// memory and its ops run on an internal ``CPUBackend`` (inputs read back, results written to the device),
/// so a model always loads; ``supports(_:type:)`` says which ops run natively.
public final class OpenCLBackend: Backend, @unchecked Sendable {
    /// "opencl".
    public let name = "opencl"
    /// The device this backend runs on.
    public let device: OpenCLDeviceInfo
    /// The options the backend was created with.
    public let options: Options
    /// Whether the kernels were loaded from the binary cache or compiled at start-up.
    public var programOrigin: OpenCLProgramOrigin { runtime.origin }
    /// The binary cache entry of this device's program (whether or not it exists yet).
    public var programCacheFile: String? { cache?.file(for: runtime.cacheKey).path }
    /// Bytes this backend currently holds on the device (weights, caches, activations).
    public var deviceBytesInUse: Int { ledger.usedBytes }
    /// The kernels this backend runs (``Options/kernels`` resolved for the device: `.gpu` or `.cpu`).
    public let kernels: KernelFamily

    let runtime: OpenCLRuntime
    let shapes: LaunchShapes
    let ledger: MemoryLedger
    private let cache: ProgramCache?
    let lock = NSLock()
    private var fallbackBackend: CPUBackend?
    /// Inverse-frequency tables by content: uploaded once, reused by every later `rope` call.
    private var frequencyTables: [[Float]: DeviceBuffer] = [:]
    /// Token ids of the latest `getRows`, grown as needed.
    private var idBuffer: DeviceBuffer?
    /// The latest positions, store slots and attention layout on the device. Every layer of a forward pass
    /// passes the same ones, so each is uploaded once per pass rather than once per layer (an upload is a
    /// blocking write, which also waits for the queue).
    private var positionUpload = IndexUpload<[Int32]>()
    private var storeSlotUpload = IndexUpload<[Int32]>()
    private var layoutUpload = IndexUpload<AttentionLayout>()
    /// The smallest cache the cached layout was validated against: the same layout over a cache at least
    /// that large needs no new check.
    private var layoutValidatedCacheRows = 0

    /// Every OpenCL device of every platform, in the order `device:` indexes them.
    ///
    /// - Throws: ``OpenCLError/noPlatform`` without an OpenCL driver, ``OpenCLError/noDevice`` without devices.
    public static func devices() throws -> [OpenCLDeviceInfo] {
        try DeviceDiscovery.all().map(\.info)
    }

    /// Opens device `device` (an index into ``devices()``; nil: the first GPU, else the first device), builds
    /// or loads the kernels and creates its command queue.
    ///
    /// - Throws: ``OpenCLError`` when there is no platform or device, the index is out of range, or the
    ///   kernels do not build (the error carries the build log).
    public init(device index: Int? = nil, options: Options = Options()) throws {
        let handles = try DeviceDiscovery.all()
        let chosen: DeviceHandle
        if let index {
            guard handles.indices.contains(index) else {
                throw OpenCLError.deviceIndexOutOfRange(index: index, count: handles.count)
            }
            chosen = handles[index]
        } else {
            chosen = handles.first { $0.info.isGPU } ?? handles[0]
        }
        device = chosen.info
        self.options = options
        runtime = try OpenCLRuntime(handle: chosen)
        ledger = MemoryLedger(capacity: chosen.info.globalMemoryBytes, device: chosen.info.name)
        if options.useProgramCache {
            cache = ProgramCache(directory: options.cacheDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? ProgramCache.defaultDirectory)
        } else {
            cache = nil
        }
        // Correctly rounded division and sqrt (where offered) keep RMSNorm and SiLU closest to the CPU.
        let buildOptions = chosen.info.hasCorrectlyRoundedDivideSqrt ? "-cl-fp32-correctly-rounded-divide-sqrt" : ""
        try runtime.buildProgram(source: OpenCLKernels.source, options: buildOptions,
                                 kernelNames: OpenCLKernels.kernelNames, cache: cache)
        let family: KernelFamily = options.kernels == .automatic ? (chosen.info.isGPU ? .gpu : .cpu) : options.kernels
        kernels = family
        shapes = LaunchShapes(family: family, info: chosen.info, maxGroupSize: runtime.maxGroupSize)
    }

    /// Whether `op` runs on the device for `type`: `getRows` and `matmul` for the eight stored weight types
    /// (unless listed in ``Options/cpuFallbackTypes``), every other op for f32. Anything else runs on the
    /// CPU fallback (weights) or is refused with ``LlamaKit/BackendError/unsupported(op:type:backend:)``.
    public func supports(_ op: BackendOp, type: TensorType) -> Bool {
        switch op {
        case .getRows, .matmul:
            return OpenCLKernels.typeSuffixes[type] != nil && !options.cpuFallbackTypes.contains(type)
        default:
            return type == .f32
        }
    }

    // MARK: Tensors

    /// Uploads a weight in its stored type (one blocking copy), or keeps it in host memory for the CPU
    /// fallback when the device cannot run it.
    ///
    /// - Throws: ``OpenCLError/outOfDeviceMemory(requested:available:device:)`` when the device is full.
    public func weight(_ host: HostTensor) throws -> any BackendTensor {
        guard let rowBytes = host.type.rowBytes(columns: host.columns), rowBytes * host.rows == host.bytes.count else {
            throw BackendError.shapeMismatch("\(host.name): \(host.bytes.count) bytes for \(host.rows)x\(host.columns) \(host.type)")
        }
        return try locked {
            if !supports(.matmul, type: host.type) || host.bytes.count > device.maxAllocationBytes {
                // Stays in host memory; its ops run on the CPU backend.
                return OpenCLTensor(type: host.type, rows: host.rows, columns: host.columns, rowBytes: rowBytes,
                                    storage: .host(try fallback().weight(host)))
            }
            let buffer = try allocate(bytes: host.bytes.count, readOnly: true)
            if let base = host.bytes.baseAddress {
                try runtime.write(buffer.memory, offset: 0, from: base, count: host.bytes.count)
            }
            return OpenCLTensor(type: host.type, rows: host.rows, columns: host.columns, rowBytes: rowBytes, storage: .device(buffer))
        }
    }

    public func makeTensor(type: TensorType, rows: Int, columns: Int) throws -> any BackendTensor {
        guard type == .f32 else { throw BackendError.unsupported(op: .copyRows, type: type, backend: name) }
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns * 4)
        guard !overflow, rows >= 0, columns >= 0 else { throw BackendError.outOfMemory(bytes: Int.max, backend: name) }
        return try locked {
            let buffer = try allocate(bytes: count, readOnly: false)
            try runtime.zero(buffer.memory, bytes: count)
            return OpenCLTensor(type: .f32, rows: rows, columns: columns, rowBytes: columns * 4, storage: .device(buffer))
        }
    }

    public func write(_ values: [Float], to tensor: any BackendTensor, firstRow: Int) throws {
        let t = try activation(tensor)
        guard firstRow >= 0, values.count % max(t.columns, 1) == 0, firstRow + values.count / max(t.columns, 1) <= t.rows else {
            throw BackendError.shapeMismatch("writing \(values.count) floats at row \(firstRow) of a \(t.rows)x\(t.columns) tensor")
        }
        try locked {
            try values.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                try runtime.write(t.memory, offset: firstRow * t.columns * 4, from: base, count: bytes.count)
            }
        }
    }

    public func read(_ tensor: any BackendTensor, rows: Range<Int>) throws -> [Float] {
        let t = try activation(tensor)
        guard rows.lowerBound >= 0, rows.upperBound <= t.rows else {
            throw BackendError.shapeMismatch("reading rows \(rows) of a tensor with \(t.rows) rows")
        }
        return try locked { try readRows(t, rows) }
    }

    // MARK: Ops

    public func getRows(_ table: any BackendTensor, ids: [Int32], into out: any BackendTensor) throws {
        let t = try tensor(table)
        let o = try activation(out)
        guard o.columns == t.columns, ids.count <= o.rows else {
            throw BackendError.shapeMismatch("getRows of \(ids.count) rows from \(t.rows)x\(t.columns) into \(o.rows)x\(o.columns)")
        }
        for id in ids where id < 0 || Int(id) >= t.rows {
            throw BackendError.shapeMismatch("row id \(id) outside the table's \(t.rows) rows")
        }
        guard !ids.isEmpty else { return }
        try locked {
            guard let memory = t.buffer, let suffix = OpenCLKernels.typeSuffixes[t.type] else {
                return try fallbackGetRows(t, ids: ids, into: o)
            }
            let idMemory = try idBuffer(count: ids.count)
            try ids.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress { try runtime.write(idMemory, offset: 0, from: base, count: bytes.count) }
            }
            let granules = (t.columns + 7) / 8
            try runtime.launch("get_rows_\(suffix)",
                               [.buffer(memory), .ulong(t.rowBytes), .int(t.columns), .buffer(idMemory), .buffer(o.memory), .int(o.columns)],
                               global: [granules, ids.count], local: [min(shapes.elementwise, Self.ceilPowerOfTwo(granules)), 1])
        }
    }

    public func rmsNorm(_ x: any BackendTensor, weight: any BackendTensor, epsilon: Float,
                        into out: any BackendTensor, rows: Int) throws {
        let (a, w, o) = (try activation(x), try tensor(weight), try activation(out))
        try check(rows: rows, a, o)
        guard w.type == .f32 else { throw BackendError.unsupported(op: .rmsNorm, type: w.type, backend: name) }
        guard w.rows * w.columns == a.columns, o.columns == a.columns else {
            throw BackendError.shapeMismatch("rmsNorm weight has \(w.rows * w.columns) values for rows of \(a.columns)")
        }
        guard rows > 0 else { return }
        try locked {
            guard let weightMemory = w.buffer else { return try fallbackRMSNorm(a, weight: w, epsilon: epsilon, into: o, rows: rows) }
            let size = shapes.norm
            try runtime.launch("rms_norm",
                               [.buffer(a.memory), .buffer(weightMemory), .float(epsilon), .buffer(o.memory), .int(a.columns), .localFloats(size)],
                               global: [rows * size], local: [size])
        }
    }

    public func matmul(_ x: any BackendTensor, weight: any BackendTensor, into out: any BackendTensor, rows: Int) throws {
        let (a, w, o) = (try activation(x), try tensor(weight), try activation(out))
        try check(rows: rows, a, o)
        guard a.columns == w.columns, o.columns >= w.rows else {
            throw BackendError.shapeMismatch("matmul of x[\(rows)x\(a.columns)] with W[\(w.rows)x\(w.columns)] into \(o.columns) columns")
        }
        guard rows > 0, w.rows > 0 else { return }
        try locked {
            guard let memory = w.buffer, let suffix = OpenCLKernels.typeSuffixes[w.type] else {
                return try fallbackMatmul(a, weight: w, into: o, rows: rows)
            }
            let arguments: [KernelArgument] = [.buffer(memory), .ulong(w.rowBytes), .int(w.rows), .int(w.columns),
                                               .buffer(a.memory), .int(a.columns), .int(rows), .buffer(o.memory), .int(o.columns)]
            let batched = rows >= options.batchMinimumRows
            if batched && kernels == .gpu && shapes.tiled {
                let tiles = (w.rows + OpenCLKernels.tileRows - 1) / OpenCLKernels.tileRows
                let rowTiles = (rows + OpenCLKernels.tileRows - 1) / OpenCLKernels.tileRows
                let threads = OpenCLKernels.tileThreads
                try runtime.launch("matmul_\(suffix)", arguments,
                                   global: [tiles * threads, rowTiles * threads], local: [threads, threads])
            } else if batched {
                let blocks = (rows + OpenCLKernels.rowBlock - 1) / OpenCLKernels.rowBlock
                try runtime.launch("matmul_rows_\(suffix)", arguments,
                                   global: [w.rows, blocks], local: [shapes.rowBlockGroup, 1])
            } else {
                let (lanes, slots) = (shapes.matvecLanes, shapes.matvecSlots)
                try runtime.launch("matvec_\(suffix)",
                                   [.buffer(memory), .ulong(w.rowBytes), .int(w.rows), .int(w.columns),
                                    .buffer(a.memory), .int(a.columns), .buffer(o.memory), .int(o.columns), .localFloats(lanes * slots)],
                                   global: [lanes, w.rows, rows], local: [lanes, slots, 1])
            }
        }
    }

    public func rope(_ x: any BackendTensor, rows: Int, heads: Int, headDim: Int, positions: [Int32],
                     inverseFrequencies: [Float], layout: RopeLayout) throws {
        let t = try activation(x)
        try check(rows: rows, t)
        guard heads * headDim <= t.columns, inverseFrequencies.count == headDim / 2, headDim % 2 == 0 else {
            throw BackendError.shapeMismatch("rope of \(heads)x\(headDim) on \(t.columns) columns with \(inverseFrequencies.count) frequencies")
        }
        guard positions.count == rows else {
            throw BackendError.shapeMismatch("rope of \(rows) rows with \(positions.count) positions")
        }
        if let bad = positions.first(where: { $0 < 0 }) {
            throw BackendError.shapeMismatch("rope at negative position \(bad)")
        }
        guard rows > 0, heads > 0, headDim > 0 else { return }
        try locked {
            let table = try frequencyTable(inverseFrequencies)
            let positionMemory = try upload(positions, into: &positionUpload) { positions }
            let half = headDim / 2
            try runtime.launch("rope",
                               [.buffer(t.memory), .int(t.columns), .int(headDim), .buffer(positionMemory), .buffer(table),
                                .int(layout == .interleaved ? 1 : 0)],
                               global: [half, heads, rows], local: [min(shapes.elementwise, Self.ceilPowerOfTwo(half)), 1, 1])
        }
    }

    public func copyRows(_ source: any BackendTensor, sourceRow: Int, into destination: any BackendTensor,
                         destinationRow: Int, rows: Int) throws {
        let (s, d) = (try activation(source), try activation(destination))
        guard s.columns == d.columns, rows >= 0, sourceRow >= 0, sourceRow + rows <= s.rows,
              destinationRow >= 0, destinationRow + rows <= d.rows
        else {
            throw BackendError.shapeMismatch("copying \(rows) rows of width \(s.columns) from row \(sourceRow) to row \(destinationRow) of \(d.rows)x\(d.columns)")
        }
        guard rows > 0, s.columns > 0 else { return }
        let width = s.columns * 4
        try locked {
            if s.tensor === d.tensor && abs(sourceRow - destinationRow) < rows {
                // clEnqueueCopyBuffer refuses overlapping regions of one buffer; go through the host.
                let values = try readRows(s, sourceRow ..< sourceRow + rows)
                try values.withUnsafeBytes { bytes in
                    if let base = bytes.baseAddress { try runtime.write(d.memory, offset: destinationRow * width, from: base, count: bytes.count) }
                }
            } else {
                try runtime.copy(s.memory, offset: sourceRow * width, to: d.memory, offset: destinationRow * width, count: rows * width)
            }
        }
    }

    /// Copies row `i` of `source` to row `slots[i]` of `destination` on the device.
    ///
    /// Slots that form a few runs of consecutive rows (a prompt chunk stored into fresh blocks, one decode row)
    /// are copied run by run with `clEnqueueCopyBuffer`, which needs no index upload; scattered slots (decode
    /// rows of many sequences) go through one `store_rows` launch that reads the slot list from the device.
    public func storeRows(_ source: any BackendTensor, into destination: any BackendTensor, slots: [Int32]) throws {
        let (s, d) = (try activation(source), try activation(destination))
        guard s.columns == d.columns, slots.count <= s.rows else {
            throw BackendError.shapeMismatch("storing \(slots.count) rows of a \(s.rows)x\(s.columns) tensor into \(d.rows)x\(d.columns)")
        }
        if let bad = slots.first(where: { $0 < 0 || Int($0) >= d.rows }) {
            throw BackendError.shapeMismatch("store slot \(bad) outside a tensor of \(d.rows) rows")
        }
        guard !slots.isEmpty, s.columns > 0 else { return }
        let width = s.columns * 4
        try locked {
            if s.tensor === d.tensor {
                // Both the copy and the kernel need source and destination rows apart; go through the host.
                let values = try readRows(s, 0 ..< slots.count)
                try values.withUnsafeBytes { bytes in
                    guard let base = bytes.baseAddress else { return }
                    for run in Self.runs(of: slots, limit: slots.count)! {
                        try runtime.write(d.memory, offset: run.destination * width, from: base + run.source * width,
                                          count: run.count * width)
                    }
                }
            } else if let runs = Self.runs(of: slots, limit: Self.maxCopyRuns) {
                for run in runs {
                    try runtime.copy(s.memory, offset: run.source * width, to: d.memory, offset: run.destination * width,
                                     count: run.count * width)
                }
            } else {
                let slotMemory = try upload(slots, into: &storeSlotUpload) { slots }
                let granules = (s.columns + 3) / 4
                try runtime.launch("store_rows", [.buffer(s.memory), .buffer(d.memory), .int(s.columns), .buffer(slotMemory)],
                                   global: [granules, slots.count],
                                   local: [min(shapes.elementwise, Self.ceilPowerOfTwo(granules)), 1])
            }
        }
    }

    /// Grouped-query attention of each query row over its own sequence's cache rows, read through
    /// `layout.slots` on the device.
    ///
    /// The layout is validated and uploaded once, then reused while later calls pass an equal one (every
    /// layer of a forward pass does).
    public func attention(query: any BackendTensor, keys: any BackendTensor, values: any BackendTensor,
                          into out: any BackendTensor, rows: Int, layout: AttentionLayout,
                          heads: Int, kvHeads: Int, headDim: Int, scale: Float) throws {
        let (q, k, v, o) = (try activation(query), try activation(keys), try activation(values), try activation(out))
        try check(rows: rows, q, o)
        guard kvHeads > 0, heads % kvHeads == 0, headDim > 0, q.columns >= heads * headDim, o.columns >= heads * headDim,
              k.columns == kvHeads * headDim, v.columns == k.columns, k.rows == v.rows
        else {
            throw BackendError.shapeMismatch("attention with \(heads)/\(kvHeads) heads of \(headDim) over a \(k.rows)-row cache")
        }
        // The kernels index the packed layout with 32-bit ints.
        guard 2 * rows + layout.slots.count <= Int(Int32.max) else {
            throw BackendError.shapeMismatch("attention layout of \(layout.slots.count) slots for \(rows) rows exceeds 32-bit indices")
        }
        guard rows > 0, heads > 0 else { return try layout.validate(rows: rows, cacheRows: k.rows) }
        try locked {
            let known = layoutUpload.key == layout
            if !known || layoutValidatedCacheRows > k.rows {
                try layout.validate(rows: rows, cacheRows: k.rows)
            }
            let layoutMemory = try upload(layout, into: &layoutUpload) {
                layout.rowStart + layout.rowLength + layout.slots
            }
            layoutValidatedCacheRows = known ? min(layoutValidatedCacheRows, k.rows) : k.rows
            let arguments: [KernelArgument] = [.buffer(q.memory), .buffer(k.memory), .buffer(v.memory), .buffer(o.memory),
                                               .buffer(layoutMemory), .int(rows), .int(heads), .int(kvHeads), .int(headDim),
                                               .int(q.columns), .int(k.columns), .int(o.columns), .float(scale)]
            if kernels == .cpu && headDim % 4 == 0 && headDim <= OpenCLKernels.maxRowAttentionHeadDim {
                try runtime.launch("attention_rows", arguments, global: [rows * heads], local: [shapes.elementwise])
            } else {
                let size = shapes.attention
                try runtime.launch("attention",
                                   arguments + [.localFloats(headDim), .localFloats(headDim), .localFloats(size), .localFloats(size),
                                                .localInts(size)],
                                   global: [heads * size, rows], local: [size, 1])
            }
        }
    }

    public func swiglu(gate: any BackendTensor, up: any BackendTensor, into out: any BackendTensor, rows: Int) throws {
        let (g, u, o) = (try activation(gate), try activation(up), try activation(out))
        try check(rows: rows, g, u, o)
        guard g.columns == u.columns, o.columns == g.columns else { throw BackendError.shapeMismatch("swiglu widths differ") }
        let count = rows * g.columns
        guard count > 0 else { return }
        try locked {
            try runtime.launch("swiglu", [.buffer(g.memory), .buffer(u.memory), .buffer(o.memory), .int(count)],
                               global: [count], local: [shapes.elementwise])
        }
    }

    public func add(_ x: any BackendTensor, into accumulator: any BackendTensor, rows: Int) throws {
        let (a, acc) = (try activation(x), try activation(accumulator))
        try check(rows: rows, a, acc)
        guard a.columns == acc.columns else { throw BackendError.shapeMismatch("add widths differ") }
        let count = rows * a.columns
        guard count > 0 else { return }
        try locked {
            try runtime.launch("add", [.buffer(a.memory), .buffer(acc.memory), .int(count)], global: [count], local: [shapes.elementwise])
        }
    }

    /// Waits until the device has finished every enqueued op (for timing; ``read(_:rows:)`` waits anyway).
    public func synchronize() throws {
        try locked { try runtime.finish() }
    }

    // MARK: Helpers

    /// An f32 tensor on the device: what every activation and cache is.
    struct Activation {
        let tensor: OpenCLTensor
        let memory: cl_mem
        var rows: Int { tensor.rows }
        var columns: Int { tensor.columns }
    }

    func activation(_ tensor: any BackendTensor) throws -> Activation {
        let t = try self.tensor(tensor)
        guard t.type == .f32, let memory = t.buffer else { throw BackendError.unsupported(op: .matmul, type: t.type, backend: name) }
        return Activation(tensor: t, memory: memory)
    }

    func tensor(_ tensor: any BackendTensor) throws -> OpenCLTensor {
        guard let t = tensor as? OpenCLTensor else { throw BackendError.foreignTensor(backend: name) }
        return t
    }

    private func check(rows: Int, _ tensors: Activation...) throws {
        for t in tensors where rows < 0 || rows > t.rows {
            throw BackendError.shapeMismatch("op on \(rows) rows of a tensor with \(t.rows) rows")
        }
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// A device allocation counted against the device's memory. Callers hold the lock.
    private func allocate(bytes: Int, readOnly: Bool) throws -> DeviceBuffer {
        try ledger.reserve(bytes)
        do {
            return DeviceBuffer(memory: try runtime.makeBuffer(bytes: bytes, readOnly: readOnly), bytes: bytes, ledger: ledger)
        } catch let OpenCLError.outOfDeviceMemory(requested, _, deviceName) {
            ledger.release(bytes)
            throw OpenCLError.outOfDeviceMemory(requested: requested, available: max(0, ledger.capacity - ledger.usedBytes), device: deviceName)
        } catch {
            ledger.release(bytes)
            throw error
        }
    }

    /// Rows of an activation, copied to the host. Callers hold the lock.
    func readRows(_ t: Activation, _ rows: Range<Int>) throws -> [Float] {
        var values = [Float](repeating: 0, count: rows.count * t.columns)
        try values.withUnsafeMutableBytes { bytes in
            if let base = bytes.baseAddress { try runtime.read(t.memory, offset: rows.lowerBound * t.columns * 4, into: base, count: bytes.count) }
        }
        return values
    }

    /// The CPU backend behind the fallback paths, created on first use. Callers hold the lock.
    func fallback() -> CPUBackend {
        if let existing = fallbackBackend { return existing }
        let created = CPUBackend(threads: options.cpuThreads)
        fallbackBackend = created
        return created
    }

    private func frequencyTable(_ values: [Float]) throws -> cl_mem {
        if let existing = frequencyTables[values] { return existing.memory }
        let buffer = try allocate(bytes: values.count * 4, readOnly: true)
        try values.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { try runtime.write(buffer.memory, offset: 0, from: base, count: bytes.count) }
        }
        // A model uses one table; a bound keeps a stream of different tables from growing without limit.
        if frequencyTables.count >= 16 { frequencyTables.removeAll() }
        frequencyTables[values] = buffer
        return buffer.memory
    }

    /// A device int list and the value it was made from.
    struct IndexUpload<Key: Equatable> {
        var key: Key?
        var buffer: DeviceBuffer?
    }

    /// The device copy of `key`'s ints (`values()`, made only on a miss), uploaded only when `key` differs from
    /// the one `cache` holds. Callers hold the lock.
    ///
    /// Overwriting the buffer is safe while earlier kernels still use it: the in-order queue runs the write
    /// after them. A replaced buffer is released with its last reference, and OpenCL keeps it alive until the
    /// commands that use it have finished.
    private func upload<Key: Equatable>(_ key: Key, into cache: inout IndexUpload<Key>, values: () -> [Int32]) throws -> cl_mem {
        if let buffer = cache.buffer, cache.key == key { return buffer.memory }
        let ints = values()
        let bytes = ints.count * 4
        cache.key = nil  // a failed allocation or write must not leave a stale key
        if (cache.buffer?.bytes ?? -1) < bytes {
            cache.buffer = nil  // released before the larger one is counted
            cache.buffer = try allocate(bytes: Self.ceilPowerOfTwo(max(bytes, 1024)), readOnly: true)
        }
        guard let buffer = cache.buffer else { throw BackendError.device("index buffer missing after allocation") }
        try ints.withUnsafeBytes { raw in
            if let base = raw.baseAddress { try runtime.write(buffer.memory, offset: 0, from: base, count: raw.count) }
        }
        cache.key = key
        return buffer.memory
    }

    /// Runs of consecutive slots as (source row, destination row, rows), or nil if there are more than `limit`.
    static func runs(of slots: [Int32], limit: Int) -> [(source: Int, destination: Int, count: Int)]? {
        var runs: [(source: Int, destination: Int, count: Int)] = []
        for (i, slot) in slots.enumerated() {
            if let last = runs.last, last.destination + last.count == Int(slot) {
                runs[runs.count - 1].count += 1
            } else {
                guard runs.count < limit else { return nil }
                runs.append((source: i, destination: Int(slot), count: 1))
            }
        }
        return runs
    }

    /// The most runs `storeRows` copies one by one: each copy is an enqueue, while the kernel costs one enqueue
    /// plus an upload whenever the slots change.
    static let maxCopyRuns = 4

    private func idBuffer(count: Int) throws -> cl_mem {
        if let existing = idBuffer, existing.bytes >= count * 4 { return existing.memory }
        let buffer = try allocate(bytes: max(count, 256) * 4, readOnly: true)
        idBuffer = buffer
        return buffer.memory
    }

    static func ceilPowerOfTwo(_ value: Int) -> Int {
        var size = 1
        while size < value { size *= 2 }
        return size
    }
}
