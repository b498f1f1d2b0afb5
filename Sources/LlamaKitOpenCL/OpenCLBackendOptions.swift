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
        /// Batches of at least this many rows use the tiled matmul kernel; smaller ones the matvec kernel.
        public var tiledMinimumRows: Int
        /// Threads of the CPU backend that runs fallback ops (created only when first needed).
        public var cpuThreads: Int?

        public init(cacheDirectory: String? = nil, useProgramCache: Bool = true, cpuFallbackTypes: Set<TensorType> = [],
                    tiledMinimumRows: Int = 8, cpuThreads: Int? = nil) {
            self.cacheDirectory = cacheDirectory
            self.useProgramCache = useProgramCache
            self.cpuFallbackTypes = cpuFallbackTypes
            self.tiledMinimumRows = tiledMinimumRows
            self.cpuThreads = cpuThreads
        }
    }

    /// `$LLAMAKIT_OPENCL_CACHE`, else `$XDG_CACHE_HOME/llamakit/opencl`, else `~/.cache/llamakit/opencl`.
    public static var defaultCacheDirectory: String { ProgramCache.defaultDirectory.path }
}
