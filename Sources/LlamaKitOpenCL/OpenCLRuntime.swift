import COpenCL
import Foundation

/// A value for one kernel argument.
enum KernelArgument {
    case buffer(cl_mem)
    case int(Int)
    case ulong(Int)
    case float(Float)
    /// A `local float *` of this many floats.
    case localFloats(Int)
    /// A `local int *` of this many ints.
    case localInts(Int)
}

/// Where the program came from when a backend started.
public enum OpenCLProgramOrigin: Sendable, Equatable {
    /// Loaded from the on-disk binary cache: nothing was compiled.
    case binaryCache
    /// Compiled from source; `cached` says whether the binary was stored for the next start.
    case compiled(cached: Bool)
}

/// The device's context, its one in-order queue, the built program and its kernels.
///
/// Not thread-safe by itself: kernel arguments are state of the shared kernel objects, so the backend
/// serialises every call under its lock.
final class OpenCLRuntime {
    let device: cl_device_id
    let info: OpenCLDeviceInfo
    let context: cl_context
    let queue: cl_command_queue
    private(set) var program: cl_program?
    private(set) var kernels: [String: cl_kernel] = [:]
    /// `CL_KERNEL_WORK_GROUP_SIZE` of each kernel: the largest work-group it may launch with on this device.
    private(set) var maxGroupSize: [String: Int] = [:]
    private(set) var origin: OpenCLProgramOrigin = .compiled(cached: false)
    private(set) var cacheKey = ""

    init(handle: DeviceHandle) throws {
        device = handle.device
        info = handle.info
        var status: cl_int = CL_SUCCESS
        var deviceID: cl_device_id? = handle.device
        guard let context = clCreateContext(nil, 1, &deviceID, nil, nil, &status), status == CL_SUCCESS else {
            throw OpenCLError.call(function: "clCreateContext", code: status)
        }
        self.context = context
        guard let queue = clCreateCommandQueue(context, handle.device, 0, &status), status == CL_SUCCESS else {
            clReleaseContext(context)
            throw OpenCLError.call(function: "clCreateCommandQueue", code: status)
        }
        self.queue = queue
    }

    deinit {
        for kernel in kernels.values { clReleaseKernel(kernel) }
        if let program { clReleaseProgram(program) }
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    // MARK: Program

    /// Builds `source` (or loads its cached binary) and creates `kernelNames`.
    func buildProgram(source: String, options: String, kernelNames: [String], cache: ProgramCache?) throws {
        let key = ProgramCache.key([info.platformName, info.platformVersion, info.name, info.version, info.driverVersion,
                                    options, source])
        cacheKey = key
        if let cache, let binary = cache.load(key: key), let built = try? programFromBinary(binary, options: options) {
            program = built
            origin = .binaryCache
        } else {
            let built = try programFromSource(source, options: options)
            program = built
            var stored = false
            if let cache, let compiled = try? binary(of: built) { stored = cache.store(key: key, binary: compiled) }
            origin = .compiled(cached: stored)
        }
        guard let program else { return }
        for name in kernelNames {
            var status: cl_int = CL_SUCCESS
            guard let kernel = clCreateKernel(program, name, &status), status == CL_SUCCESS else {
                throw OpenCLError.call(function: "clCreateKernel(\(name))", code: status)
            }
            kernels[name] = kernel
            var size = 0
            try check(clGetKernelWorkGroupInfo(kernel, device, cl_kernel_work_group_info(CL_KERNEL_WORK_GROUP_SIZE),
                                               MemoryLayout<Int>.size, &size, nil), "clGetKernelWorkGroupInfo")
            maxGroupSize[name] = max(1, size)
        }
    }

    private func programFromSource(_ source: String, options: String) throws -> cl_program {
        var status: cl_int = CL_SUCCESS
        let created: cl_program? = source.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            var length = strlen(text)
            return clCreateProgramWithSource(context, 1, &pointer, &length, &status)
        }
        guard let program = created, status == CL_SUCCESS else {
            throw OpenCLError.call(function: "clCreateProgramWithSource", code: status)
        }
        try build(program, options: options)
        return program
    }

    private func programFromBinary(_ binary: [UInt8], options: String) throws -> cl_program {
        var status: cl_int = CL_SUCCESS
        var binaryStatus: cl_int = CL_SUCCESS
        var deviceID: cl_device_id? = device
        var length = binary.count
        let created: cl_program? = binary.withUnsafeBufferPointer { bytes in
            var pointer: UnsafePointer<UInt8>? = bytes.baseAddress
            return clCreateProgramWithBinary(context, 1, &deviceID, &length, &pointer, &binaryStatus, &status)
        }
        guard let program = created, status == CL_SUCCESS, binaryStatus == CL_SUCCESS else {
            if let created { clReleaseProgram(created) }
            throw OpenCLError.call(function: "clCreateProgramWithBinary", code: status != CL_SUCCESS ? status : binaryStatus)
        }
        try build(program, options: options)
        return program
    }

    private func build(_ program: cl_program, options: String) throws {
        var deviceID: cl_device_id? = device
        let status = clBuildProgram(program, 1, &deviceID, options, nil, nil)
        guard status == CL_SUCCESS else {
            let log = buildLog(program)
            clReleaseProgram(program)
            if status == CL_BUILD_PROGRAM_FAILURE || !log.isEmpty {
                throw OpenCLError.buildFailed(device: info.name, log: log.isEmpty ? OpenCLError.name(of: status) : log)
            }
            throw OpenCLError.call(function: "clBuildProgram", code: status)
        }
    }

    private func buildLog(_ program: cl_program) -> String {
        var size = 0
        guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size) == CL_SUCCESS,
              size > 0 else { return "" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil) == CL_SUCCESS
        else { return "" }
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func binary(of program: cl_program) throws -> [UInt8] {
        var size = 0
        try check(clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARY_SIZES), MemoryLayout<Int>.size, &size, nil),
                  "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)")
        guard size > 0 else { return [] }
        var binary = [UInt8](repeating: 0, count: size)
        try binary.withUnsafeMutableBufferPointer { bytes in
            var pointer: UnsafeMutablePointer<UInt8>? = bytes.baseAddress
            try check(clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARIES), MemoryLayout<UnsafeMutablePointer<UInt8>?>.size,
                                       &pointer, nil), "clGetProgramInfo(CL_PROGRAM_BINARIES)")
        }
        return binary
    }

    // MARK: Buffers

    func makeBuffer(bytes: Int, readOnly: Bool) throws -> cl_mem {
        var status: cl_int = CL_SUCCESS
        let flags = cl_mem_flags(readOnly ? CL_MEM_READ_ONLY : CL_MEM_READ_WRITE)
        guard let buffer = clCreateBuffer(context, flags, max(bytes, 4), nil, &status), status == CL_SUCCESS else {
            throw memoryError(status, "clCreateBuffer", bytes: bytes)
        }
        return buffer
    }

    /// Blocking write: `bytes` must stay valid only for the call.
    func write(_ buffer: cl_mem, offset: Int, from bytes: UnsafeRawPointer, count: Int) throws {
        guard count > 0 else { return }
        let status = clEnqueueWriteBuffer(queue, buffer, cl_bool(CL_TRUE), offset, count, bytes, 0, nil, nil)
        if status != CL_SUCCESS { throw memoryError(status, "clEnqueueWriteBuffer", bytes: count) }
    }

    /// Blocking write of `rows` rows of `rowBytes` into a buffer whose rows are `pitch` bytes apart.
    func writeRows(_ buffer: cl_mem, from bytes: UnsafeRawPointer, rows: Int, rowBytes: Int, pitch: Int) throws {
        guard rows > 0, rowBytes > 0 else { return }
        if rowBytes == pitch { return try write(buffer, offset: 0, from: bytes, count: rows * rowBytes) }
        var origin: [Int] = [0, 0, 0]
        var region: [Int] = [rowBytes, rows, 1]
        try check(clEnqueueWriteBufferRect(queue, buffer, cl_bool(CL_TRUE), &origin, &origin, &region, pitch, 0, rowBytes, 0,
                                           bytes, 0, nil, nil), "clEnqueueWriteBufferRect")
    }

    /// Blocking read; in an in-order queue it waits for every op enqueued before it.
    func read(_ buffer: cl_mem, offset: Int, into bytes: UnsafeMutableRawPointer, count: Int) throws {
        guard count > 0 else { return }
        try check(clEnqueueReadBuffer(queue, buffer, cl_bool(CL_TRUE), offset, count, bytes, 0, nil, nil), "clEnqueueReadBuffer")
    }

    func copy(_ source: cl_mem, offset sourceOffset: Int, to destination: cl_mem, offset destinationOffset: Int, count: Int) throws {
        guard count > 0 else { return }
        try check(clEnqueueCopyBuffer(queue, source, destination, sourceOffset, destinationOffset, count, 0, nil, nil),
                  "clEnqueueCopyBuffer")
    }

    func zero(_ buffer: cl_mem, bytes: Int) throws {
        guard bytes > 0 else { return }
        var pattern: Float = 0
        let status = clEnqueueFillBuffer(queue, buffer, &pattern, 4, 0, bytes / 4 * 4, 0, nil, nil)
        if status != CL_SUCCESS { throw memoryError(status, "clEnqueueFillBuffer", bytes: bytes) }
    }

    func finish() throws {
        try check(clFinish(queue), "clFinish")
    }

    private func memoryError(_ status: cl_int, _ function: String, bytes: Int) -> OpenCLError {
        OpenCLError.isOutOfMemory(status)
            ? .outOfDeviceMemory(requested: bytes, available: 0, device: info.name)
            : .call(function: function, code: status)
    }

    // MARK: Launches

    /// Sets the arguments of kernel `name` and enqueues it. `global` is rounded up to whole work-groups.
    func launch(_ name: String, _ arguments: [KernelArgument], global: [Int], local: [Int]) throws {
        guard let kernel = kernels[name] else { throw OpenCLError.call(function: "kernel \(name)", code: CL_INVALID_KERNEL_NAME) }
        for (index, argument) in arguments.enumerated() {
            let i = cl_uint(index)
            let status: cl_int
            switch argument {
            case let .buffer(buffer):
                var value: cl_mem? = buffer
                status = clSetKernelArg(kernel, i, MemoryLayout<cl_mem?>.size, &value)
            case let .int(value):
                // Kernels index activations with 32-bit ints; a larger count must not wrap silently.
                guard var v = cl_int(exactly: value) else {
                    throw OpenCLError.call(function: "clSetKernelArg(\(name), \(index)): \(value) exceeds 32 bits", code: CL_INVALID_ARG_VALUE)
                }
                status = clSetKernelArg(kernel, i, MemoryLayout<cl_int>.size, &v)
            case let .ulong(value):
                var v = cl_ulong(truncatingIfNeeded: value)
                status = clSetKernelArg(kernel, i, MemoryLayout<cl_ulong>.size, &v)
            case let .float(value):
                var v = value
                status = clSetKernelArg(kernel, i, MemoryLayout<Float>.size, &v)
            case let .localFloats(count):
                status = clSetKernelArg(kernel, i, max(count, 1) * MemoryLayout<Float>.size, nil)
            case let .localInts(count):
                status = clSetKernelArg(kernel, i, max(count, 1) * MemoryLayout<cl_int>.size, nil)
            }
            try check(status, "clSetKernelArg(\(name), \(index))")
        }
        var globalSize = zip(global, local).map { size, group in (max(size, 1) + group - 1) / group * group }
        var localSize = local
        let status = clEnqueueNDRangeKernel(queue, kernel, cl_uint(global.count), nil, &globalSize, &localSize, 0, nil, nil)
        if status != CL_SUCCESS {
            throw OpenCLError.isOutOfMemory(status)
                ? OpenCLError.outOfDeviceMemory(requested: 0, available: 0, device: info.name)
                : OpenCLError.call(function: "clEnqueueNDRangeKernel(\(name))", code: status)
        }
    }
}
