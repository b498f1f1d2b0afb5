/// Work-group sizes of the kernels on one device.
///
/// Every size is a power of two (the local-memory reductions halve it) and within the kernel's own limit
/// (`CL_KERNEL_WORK_GROUP_SIZE`), so a device with small work-groups still runs every kernel.
struct LaunchShapes: Equatable {
    /// `matvec_*`: items per weight row, and weight rows per work-group.
    var matvecLanes: Int
    var matvecSlots: Int
    /// `matmul_rows_*`: items (weight rows) per work-group.
    var rowBlockGroup: Int
    /// `rms_norm`: items per row.
    var norm: Int
    /// `attention`: items per (head, row), which is also the key tile.
    var attention: Int
    /// `swiglu`, `add`, `rope`, `store_rows`, `get_rows_*`, `attention_rows`.
    var elementwise: Int
    /// Whether the 16 × 16 tiled `matmul_*` kernels fit the device (work-group size and local memory).
    var tiled: Bool

    init(family: OpenCLBackend.KernelFamily, info: OpenCLDeviceInfo, maxGroupSize: [String: Int]) {
        let gpu = family != .cpu
        func fit(_ preferred: Int, _ kernels: [String]) -> Int {
            let limit = kernels.compactMap { maxGroupSize[$0] }.min() ?? preferred
            var size = 1
            while size * 2 <= min(preferred, limit) { size *= 2 }
            return size
        }
        let matvecKernels = OpenCLKernels.typeSuffixes.values.map { "matvec_\($0)" }
        let matmulKernels = OpenCLKernels.typeSuffixes.values.map { "matmul_\($0)" }
        // GPUs want wide groups to hide memory latency; a CPU runs a group's items as a loop on one core.
        // On a CPU one item per row is best: its float8 code is already SIMD, and no reduction is needed.
        let lanes = gpu ? 32 : 1
        let slots = gpu ? 4 : 64
        let matvecLimit = matvecKernels.compactMap { maxGroupSize[$0] }.min() ?? lanes * slots
        matvecLanes = fit(lanes, matvecKernels)
        matvecSlots = Self.floorPowerOfTwo(min(slots, max(1, matvecLimit / matvecLanes)))
        rowBlockGroup = fit(16, OpenCLKernels.typeSuffixes.values.map { "matmul_rows_\($0)" })
        norm = fit(gpu ? 256 : 64, ["rms_norm"])
        attention = fit(64, ["attention"])
        elementwise = fit(gpu ? 256 : 64, ["swiglu", "add", "rope", "store_rows", "attention_rows"] + OpenCLKernels.typeSuffixes.values.map { "get_rows_\($0)" })
        let tileLocalBytes = 2 * OpenCLKernels.tileRows * (OpenCLKernels.tileDepth + 1) * 4
        tiled = matmulKernels.allSatisfy { (maxGroupSize[$0] ?? 0) >= 256 } && info.localMemoryBytes >= tileLocalBytes + 1024
    }

    private static func floorPowerOfTwo(_ value: Int) -> Int {
        var size = 1
        while size * 2 <= value { size *= 2 }
        return size
    }
}
