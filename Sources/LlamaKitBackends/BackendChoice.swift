import LlamaKit
import LlamaKitCPU
import LlamaKitOpenCL

/// Creates a backend by name, for command-line tools and apps that let the user choose.
public enum BackendChoice {
    /// The names ``make(name:device:threads:)`` accepts.
    public static let names = ["cpu", "opencl"]

    /// Errors of choosing a backend (the backends' own errors pass through unchanged).
    public enum ChoiceError: Error, Equatable, CustomStringConvertible {
        case unknownBackend(String)
        case deviceNotApplicable(backend: String)

        /// A message for users, naming the valid choices.
        public var description: String {
            switch self {
            case let .unknownBackend(name):
                return "Unknown backend '\(name)' (available: \(BackendChoice.names.joined(separator: ", ")))."
            case let .deviceNotApplicable(backend):
                return "--device applies to the opencl backend, not to \(backend)."
            }
        }
    }

    /// A backend: `"cpu"` (with `threads`, default all cores) or `"opencl"` (device `device` of
    /// ``OpenCLBackend/devices()``, default the first GPU, else the first device; `threads` sizes the CPU
    /// backend that serves its fallback ops).
    ///
    /// - Throws: ``ChoiceError`` for an unknown name or a device index given to the CPU backend;
    ///   ``LlamaKitOpenCL/OpenCLError`` when OpenCL has no platform or device, or the index is out of range.
    /// `cpuActivations` selects the CPU backend's decode precision (``CPUBackend/ActivationPrecision``).
    public static func make(name: String, device: Int? = nil, threads: Int? = nil,
                            cpuActivations: CPUBackend.ActivationPrecision = .float32) throws -> any Backend {
        switch name.lowercased() {
        case "cpu":
            guard device == nil else { throw ChoiceError.deviceNotApplicable(backend: "cpu") }
            return CPUBackend(threads: threads, activationPrecision: cpuActivations)
        case "opencl":
            return try OpenCLBackend(device: device, options: OpenCLBackend.Options(cpuThreads: threads))
        default:
            throw ChoiceError.unknownBackend(name)
        }
    }

    /// A human-readable list of the devices each backend can use, one per line.
    ///
    /// OpenCL problems (no driver installed) are reported in the text rather than thrown, so listing always works.
    public static func deviceListing() -> String {
        var lines = ["cpu: the host CPU (use --threads to choose how many threads)"]
        do {
            let devices = try OpenCLBackend.devices()
            lines.append("opencl devices (--backend opencl --device N):")
            for device in devices {
                lines.append("  \(device)")
                lines.append("      OpenCL C: \(device.openCLCVersion); max allocation \(device.maxAllocationBytes / 1_048_576) MiB; "
                    + "local memory \(device.localMemoryBytes / 1024) KiB; max work-group \(device.maxWorkGroupSize)")
            }
        } catch {
            lines.append("opencl: \(error)")
        }
        return lines.joined(separator: "\n")
    }
}
