import COpenCL

/// Errors of the OpenCL backend: discovery, program builds, device memory and failed API calls.
///
/// Shape and foreign-tensor problems are reported as ``LlamaKit/BackendError`` like every backend does;
/// these cases are the ones only a device can cause.
public enum OpenCLError: Error, Equatable, CustomStringConvertible {
    /// No OpenCL platform (ICD) is installed or the ICD loader found none.
    case noPlatform
    /// Platforms exist but none of them offers a device.
    case noDevice
    /// `--device N` (or `OpenCLBackend(device:)`) named a device that is not there.
    case deviceIndexOutOfRange(index: Int, count: Int)
    /// The kernels did not compile for the device; `log` is the compiler's build log.
    case buildFailed(device: String, log: String)
    /// The device cannot hold what was asked for.
    case outOfDeviceMemory(requested: Int, available: Int, device: String)
    /// An OpenCL call failed with `code` (named in ``description``).
    case call(function: String, code: Int32)

    /// A message for users: what happened and what to do.
    public var description: String {
        switch self {
        case .noPlatform:
            return "No OpenCL platform found. Install an OpenCL driver (ICD): e.g. `apt-get install pocl-opencl-icd` "
                + "for CPUs, or the GPU vendor's driver; `clinfo -l` lists what the ICD loader sees."
        case .noDevice:
            return "OpenCL platforms were found, but none offers a device."
        case let .deviceIndexOutOfRange(index, count):
            return "OpenCL device \(index) does not exist: \(count) device\(count == 1 ? "" : "s") found (indices 0..<\(count)); "
                + "`llama-cli --list-devices` lists them."
        case let .buildFailed(device, log):
            return "The OpenCL kernels failed to build for \(device):\n\(log)"
        case let .outOfDeviceMemory(requested, available, device):
            return "\(device) lacks memory: \(Self.mebibytes(requested)) requested, \(Self.mebibytes(available)) available. "
                + "Use a smaller model or context, or the CPU backend."
        case let .call(function, code):
            return "\(function) failed: \(Self.name(of: code)) (\(code))"
        }
    }

    private static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    /// The symbolic name of an OpenCL status code (`CL_OUT_OF_RESOURCES`, ...).
    public static func name(of code: Int32) -> String {
        switch code {
        case CL_SUCCESS: return "CL_SUCCESS"
        case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND"
        case CL_DEVICE_NOT_AVAILABLE: return "CL_DEVICE_NOT_AVAILABLE"
        case CL_COMPILER_NOT_AVAILABLE: return "CL_COMPILER_NOT_AVAILABLE"
        case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE"
        case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES"
        case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY"
        case CL_PROFILING_INFO_NOT_AVAILABLE: return "CL_PROFILING_INFO_NOT_AVAILABLE"
        case CL_MEM_COPY_OVERLAP: return "CL_MEM_COPY_OVERLAP"
        case CL_IMAGE_FORMAT_MISMATCH: return "CL_IMAGE_FORMAT_MISMATCH"
        case CL_IMAGE_FORMAT_NOT_SUPPORTED: return "CL_IMAGE_FORMAT_NOT_SUPPORTED"
        case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE"
        case CL_MAP_FAILURE: return "CL_MAP_FAILURE"
        case CL_MISALIGNED_SUB_BUFFER_OFFSET: return "CL_MISALIGNED_SUB_BUFFER_OFFSET"
        case CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST: return "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST"
        case CL_COMPILE_PROGRAM_FAILURE: return "CL_COMPILE_PROGRAM_FAILURE"
        case CL_LINKER_NOT_AVAILABLE: return "CL_LINKER_NOT_AVAILABLE"
        case CL_LINK_PROGRAM_FAILURE: return "CL_LINK_PROGRAM_FAILURE"
        case CL_DEVICE_PARTITION_FAILED: return "CL_DEVICE_PARTITION_FAILED"
        case CL_KERNEL_ARG_INFO_NOT_AVAILABLE: return "CL_KERNEL_ARG_INFO_NOT_AVAILABLE"
        case CL_INVALID_VALUE: return "CL_INVALID_VALUE"
        case CL_INVALID_DEVICE_TYPE: return "CL_INVALID_DEVICE_TYPE"
        case CL_INVALID_PLATFORM: return "CL_INVALID_PLATFORM"
        case CL_INVALID_DEVICE: return "CL_INVALID_DEVICE"
        case CL_INVALID_CONTEXT: return "CL_INVALID_CONTEXT"
        case CL_INVALID_QUEUE_PROPERTIES: return "CL_INVALID_QUEUE_PROPERTIES"
        case CL_INVALID_COMMAND_QUEUE: return "CL_INVALID_COMMAND_QUEUE"
        case CL_INVALID_HOST_PTR: return "CL_INVALID_HOST_PTR"
        case CL_INVALID_MEM_OBJECT: return "CL_INVALID_MEM_OBJECT"
        case CL_INVALID_IMAGE_FORMAT_DESCRIPTOR: return "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR"
        case CL_INVALID_IMAGE_SIZE: return "CL_INVALID_IMAGE_SIZE"
        case CL_INVALID_SAMPLER: return "CL_INVALID_SAMPLER"
        case CL_INVALID_BINARY: return "CL_INVALID_BINARY"
        case CL_INVALID_BUILD_OPTIONS: return "CL_INVALID_BUILD_OPTIONS"
        case CL_INVALID_PROGRAM: return "CL_INVALID_PROGRAM"
        case CL_INVALID_PROGRAM_EXECUTABLE: return "CL_INVALID_PROGRAM_EXECUTABLE"
        case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME"
        case CL_INVALID_KERNEL_DEFINITION: return "CL_INVALID_KERNEL_DEFINITION"
        case CL_INVALID_KERNEL: return "CL_INVALID_KERNEL"
        case CL_INVALID_ARG_INDEX: return "CL_INVALID_ARG_INDEX"
        case CL_INVALID_ARG_VALUE: return "CL_INVALID_ARG_VALUE"
        case CL_INVALID_ARG_SIZE: return "CL_INVALID_ARG_SIZE"
        case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS"
        case CL_INVALID_WORK_DIMENSION: return "CL_INVALID_WORK_DIMENSION"
        case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE"
        case CL_INVALID_WORK_ITEM_SIZE: return "CL_INVALID_WORK_ITEM_SIZE"
        case CL_INVALID_GLOBAL_OFFSET: return "CL_INVALID_GLOBAL_OFFSET"
        case CL_INVALID_EVENT_WAIT_LIST: return "CL_INVALID_EVENT_WAIT_LIST"
        case CL_INVALID_EVENT: return "CL_INVALID_EVENT"
        case CL_INVALID_OPERATION: return "CL_INVALID_OPERATION"
        case CL_INVALID_GL_OBJECT: return "CL_INVALID_GL_OBJECT"
        case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE"
        case CL_INVALID_MIP_LEVEL: return "CL_INVALID_MIP_LEVEL"
        case CL_INVALID_GLOBAL_WORK_SIZE: return "CL_INVALID_GLOBAL_WORK_SIZE"
        case CL_INVALID_PROPERTY: return "CL_INVALID_PROPERTY"
        case CL_INVALID_IMAGE_DESCRIPTOR: return "CL_INVALID_IMAGE_DESCRIPTOR"
        case CL_INVALID_COMPILER_OPTIONS: return "CL_INVALID_COMPILER_OPTIONS"
        case CL_INVALID_LINKER_OPTIONS: return "CL_INVALID_LINKER_OPTIONS"
        case CL_INVALID_DEVICE_PARTITION_COUNT: return "CL_INVALID_DEVICE_PARTITION_COUNT"
        case -1001: return "CL_PLATFORM_NOT_FOUND_KHR"  // the ICD loader found no vendor library
        default: return "unknown OpenCL error"
        }
    }

    /// Whether `code` means the device ran out of memory (drivers allocate lazily, so this can surface on
    /// the first write or launch as well as on `clCreateBuffer`).
    static func isOutOfMemory(_ code: Int32) -> Bool {
        code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_RESOURCES || code == CL_OUT_OF_HOST_MEMORY
    }
}

/// Throws ``OpenCLError/call(function:code:)`` unless `code` is `CL_SUCCESS`.
@inline(__always)
func check(_ code: cl_int, _ function: @autoclosure () -> String) throws {
    if code != CL_SUCCESS { throw OpenCLError.call(function: function(), code: code) }
}
