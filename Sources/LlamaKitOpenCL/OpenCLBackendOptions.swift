import LlamaKit

extension OpenCLBackend {
    /// Settings of an OpenCL backend; the defaults suit every device.
    public struct Options: Sendable {
        /// Where compiled program binaries are kept; nil: ``defaultCacheDirectory``.
        public var cacheDirectory: String?
        /// Whether to load and store program binaries at all.
        public var useProgramCache: Bool
        /// Weight types whose `getRows`/`matmul` run on the CPU backend even though the device could run them
        /// (for tests of the fallback, or a device whose results for a type are not trusted).
        public var cpuFallbackTypes: Set<TensorType>
        /// Batches of at least this many rows use the batch kernel; smaller ones the matvec kernel.
        public var batchMinimumRows: Int
        /// Which batch kernel to use (``BatchKernel/automatic``: tiled on GPUs, row blocks on other devices).
        public var batchKernel: BatchKernel
        /// Threads of the CPU backend that runs fallback ops (created only when first needed).
        public var cpuThreads: Int?

        public init(cacheDirectory: String? = nil, useProgramCache: Bool = true, cpuFallbackTypes: Set<TensorType> = [],
                    batchMinimumRows: Int = 2, batchKernel: BatchKernel = .automatic, cpuThreads: Int? = nil) {
            self.cacheDirectory = cacheDirectory
            self.useProgramCache = useProgramCache
            self.cpuFallbackTypes = cpuFallbackTypes
            self.batchMinimumRows = batchMinimumRows
            self.batchKernel = batchKernel
            self.cpuThreads = cpuThreads
        }
    }

    /// The kernels that multiply a batch of activation rows with a weight.
    public enum BatchKernel: Sendable, Equatable {
        /// Tiled for GPUs and row blocks for other devices (CPUs under PoCL).
        case automatic
        /// 64 × 64 output tiles staged in local memory by 16 × 16 work-groups: the GPU kernel. Devices whose
        /// work-groups or local memory are too small for it get ``rowBlocks``.
        case tiled
        /// One work item per weight row and 8 activation rows, no local memory: what suits a CPU core.
        case rowBlocks
    }

    /// `$LLAMAKIT_OPENCL_CACHE`, else `$XDG_CACHE_HOME/llamakit/opencl`, else `~/.cache/llamakit/opencl`.
    public static var defaultCacheDirectory: String { ProgramCache.defaultDirectory.path }
}
