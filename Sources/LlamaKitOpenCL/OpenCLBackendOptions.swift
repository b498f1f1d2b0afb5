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
        /// Which kernels to use (``KernelFamily/automatic``: GPU kernels on GPUs, CPU kernels elsewhere).
        public var kernels: KernelFamily
        /// Threads of the CPU backend that runs fallback ops (created only when first needed).
        public var cpuThreads: Int?

        /// Options with every default: the program cache in ``OpenCLBackend/defaultCacheDirectory``, no forced
        /// fallback types, the batch kernel chosen by device type.
        public init(cacheDirectory: String? = nil, useProgramCache: Bool = true, cpuFallbackTypes: Set<TensorType> = [],
                    batchMinimumRows: Int = 2, kernels: KernelFamily = .automatic, cpuThreads: Int? = nil) {
            self.cacheDirectory = cacheDirectory
            self.useProgramCache = useProgramCache
            self.cpuFallbackTypes = cpuFallbackTypes
            self.batchMinimumRows = batchMinimumRows
            self.kernels = kernels
            self.cpuThreads = cpuThreads
        }
    }

    /// Two shapes of the same float32 kernels: GPUs want many items cooperating through local memory, a
    /// CPU core wants one item doing a whole row in SIMD registers. Both compute the same results to rounding.
    public enum KernelFamily: Sendable, Equatable, CustomStringConvertible {
        /// ``gpu`` on GPUs, ``cpu`` on every other device (CPUs under PoCL).
        case automatic
        /// Batched matmul in 64 × 64 tiles staged in local memory by 16 × 16 work-groups (devices whose groups
        /// or local memory are too small for it use the row-block kernel), attention with a work-group per
        /// (head, row), matvec with 32 items per weight row.
        case gpu
        /// Batched matmul with one item per weight row and 8 activation rows, attention with one item per
        /// (head, row) and an online softmax in registers, matvec with one item per weight row.
        case cpu

        /// "automatic", "gpu" or "cpu".
        public var description: String {
            switch self {
            case .automatic: return "automatic"
            case .gpu: return "gpu"
            case .cpu: return "cpu"
            }
        }
    }

    /// `$LLAMAKIT_OPENCL_CACHE`, else `$XDG_CACHE_HOME/llamakit/opencl`, else `~/.cache/llamakit/opencl`.
    public static var defaultCacheDirectory: String { ProgramCache.defaultDirectory.path }
}
