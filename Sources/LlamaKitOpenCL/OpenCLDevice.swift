import COpenCL
import Foundation

/// One OpenCL device as the ICD loader reports it, with what the backend needs to know about it.
///
/// Devices are numbered across all platforms in the order the loader returns them; that number is what
/// ``OpenCLBackend/init(device:options:)`` and the examples' `--device N` take.
public struct OpenCLDeviceInfo: Sendable, Equatable, CustomStringConvertible {
    /// Position in ``OpenCLBackend/devices()``.
    public let index: Int
    /// The platform (driver) name, e.g. "NVIDIA CUDA" or "Portable Computing Language".
    public let platformName: String
    /// `CL_PLATFORM_VERSION`.
    public let platformVersion: String
    /// The device name, e.g. "NVIDIA H100 80GB HBM3".
    public let name: String
    /// `CL_DEVICE_VENDOR`.
    public let vendor: String
    /// `CL_DEVICE_VERSION`, e.g. "OpenCL 3.0 CUDA".
    public let version: String
    /// `CL_DRIVER_VERSION` (part of the program cache key).
    public let driverVersion: String
    /// `CL_DEVICE_OPENCL_C_VERSION`, e.g. "OpenCL C 1.2".
    public let openCLCVersion: String
    /// Whether the device reports `CL_DEVICE_TYPE_GPU` (the default device is the first GPU).
    public let isGPU: Bool
    /// `CL_DEVICE_GLOBAL_MEM_SIZE`: what weights, caches and activations must fit in.
    public let globalMemoryBytes: Int
    /// The largest single buffer the device allows (`CL_DEVICE_MAX_MEM_ALLOC_SIZE`).
    public let maxAllocationBytes: Int
    /// `CL_DEVICE_LOCAL_MEM_SIZE` per work-group.
    public let localMemoryBytes: Int
    /// `CL_DEVICE_MAX_COMPUTE_UNITS`.
    public let computeUnits: Int
    /// `CL_DEVICE_MAX_WORK_GROUP_SIZE`.
    public let maxWorkGroupSize: Int
    /// `cl_khr_fp16`: half-precision arithmetic. Probed and reported; the kernels compute in float32
    /// either way (f16 weights are read with `vload_half`, which needs no extension).
    public let hasFP16: Bool
    /// `cl_khr_subgroups` or `cl_intel_subgroups`. Probed and reported; the reductions use local memory,
    /// which every OpenCL 1.2 device has.
    public let hasSubgroups: Bool
    /// Whether division and square root can be compiled correctly rounded (`CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT`).
    public let hasCorrectlyRoundedDivideSqrt: Bool
    /// `CL_DEVICE_EXTENSIONS`, split.
    public let extensions: [String]

    /// One line: index, platform, name, versions, memory, compute units, fp16/subgroups.
    public var description: String {
        String(format: "%d: %@ — %@ (%@, driver %@), %.1f GiB, %d compute units%@%@", index, platformName, name, version,
               driverVersion, Double(globalMemoryBytes) / 1_073_741_824, computeUnits,
               hasFP16 ? ", fp16" : "", hasSubgroups ? ", subgroups" : "")
    }
}

/// Platform and device handles, enumerated once per call (cheap: the loader caches its vendors).
struct DeviceHandle {
    let platform: cl_platform_id
    let device: cl_device_id
    let info: OpenCLDeviceInfo
}

enum DeviceDiscovery {
    /// Every device of every platform, numbered in loader order.
    static func all() throws -> [DeviceHandle] {
        var platformCount: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &platformCount)
        // ocl-icd answers CL_PLATFORM_NOT_FOUND_KHR (-1001) when no vendor ICD is installed.
        if status == -1001 || platformCount == 0 { throw OpenCLError.noPlatform }
        try check(status, "clGetPlatformIDs")
        var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
        try check(clGetPlatformIDs(platformCount, &platforms, nil), "clGetPlatformIDs")

        var result: [DeviceHandle] = []
        for case let platform? in platforms {
            var deviceCount: cl_uint = 0
            let found = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount)
            if found == CL_DEVICE_NOT_FOUND || deviceCount == 0 { continue }
            try check(found, "clGetDeviceIDs")
            var devices = [cl_device_id?](repeating: nil, count: Int(deviceCount))
            try check(clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &devices, nil), "clGetDeviceIDs")
            for case let device? in devices {
                result.append(DeviceHandle(platform: platform, device: device,
                                           info: try describe(platform: platform, device: device, index: result.count)))
            }
        }
        if result.isEmpty { throw OpenCLError.noDevice }
        return result
    }

    private static func describe(platform: cl_platform_id, device: cl_device_id, index: Int) throws -> OpenCLDeviceInfo {
        let extensions = try string(device, CL_DEVICE_EXTENSIONS).split(separator: " ").map(String.init)
        let type: cl_device_type = try value(device, CL_DEVICE_TYPE)
        let fpConfig: cl_device_fp_config = try value(device, CL_DEVICE_SINGLE_FP_CONFIG)
        return OpenCLDeviceInfo(
            index: index,
            platformName: try platformString(platform, CL_PLATFORM_NAME),
            platformVersion: try platformString(platform, CL_PLATFORM_VERSION),
            name: try string(device, CL_DEVICE_NAME),
            vendor: try string(device, CL_DEVICE_VENDOR),
            version: try string(device, CL_DEVICE_VERSION),
            driverVersion: try string(device, CL_DRIVER_VERSION),
            openCLCVersion: try string(device, CL_DEVICE_OPENCL_C_VERSION),
            isGPU: type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0,
            globalMemoryBytes: Int(clamping: try value(device, CL_DEVICE_GLOBAL_MEM_SIZE) as cl_ulong),
            maxAllocationBytes: Int(clamping: try value(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE) as cl_ulong),
            localMemoryBytes: Int(clamping: try value(device, CL_DEVICE_LOCAL_MEM_SIZE) as cl_ulong),
            computeUnits: Int(try value(device, CL_DEVICE_MAX_COMPUTE_UNITS) as cl_uint),
            maxWorkGroupSize: Int(clamping: try value(device, CL_DEVICE_MAX_WORK_GROUP_SIZE) as Int),
            hasFP16: extensions.contains("cl_khr_fp16"),
            hasSubgroups: extensions.contains("cl_khr_subgroups") || extensions.contains("cl_intel_subgroups"),
            hasCorrectlyRoundedDivideSqrt: fpConfig & cl_device_fp_config(CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0,
            extensions: extensions)
    }

    static func string(_ device: cl_device_id, _ parameter: Int32) throws -> String {
        var size = 0
        try check(clGetDeviceInfo(device, cl_device_info(parameter), 0, nil, &size), "clGetDeviceInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try check(clGetDeviceInfo(device, cl_device_info(parameter), size, &bytes, nil), "clGetDeviceInfo")
        return trimmed(bytes)
    }

    static func value<T: FixedWidthInteger>(_ device: cl_device_id, _ parameter: Int32) throws -> T {
        var result: T = 0
        try check(clGetDeviceInfo(device, cl_device_info(parameter), MemoryLayout<T>.size, &result, nil), "clGetDeviceInfo")
        return result
    }

    private static func platformString(_ platform: cl_platform_id, _ parameter: Int32) throws -> String {
        var size = 0
        try check(clGetPlatformInfo(platform, cl_platform_info(parameter), 0, nil, &size), "clGetPlatformInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try check(clGetPlatformInfo(platform, cl_platform_info(parameter), size, &bytes, nil), "clGetPlatformInfo")
        return trimmed(bytes)
    }

    private static func trimmed(_ bytes: [CChar]) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
