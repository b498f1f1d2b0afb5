import COpenCL
import Foundation
import LlamaKit

/// Bytes a backend has placed on its device, checked against the device's global memory.
///
/// Drivers often allocate lazily, so a model that does not fit may only fail deep inside a forward pass;
/// counting up front turns that into ``OpenCLError/outOfDeviceMemory(requested:available:device:)`` at load.
final class MemoryLedger: @unchecked Sendable {
    let capacity: Int
    let device: String
    private let lock = NSLock()
    private var used = 0

    init(capacity: Int, device: String) {
        self.capacity = capacity
        self.device = device
    }

    var usedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return used
    }

    func reserve(_ bytes: Int) throws {
        lock.lock()
        defer { lock.unlock() }
        guard bytes <= capacity - used else {
            throw OpenCLError.outOfDeviceMemory(requested: bytes, available: max(0, capacity - used), device: device)
        }
        used += bytes
    }

    func release(_ bytes: Int) {
        lock.lock()
        used -= bytes
        lock.unlock()
    }
}

/// One device allocation; released (and un-counted) with its last reference.
final class DeviceBuffer: @unchecked Sendable {
    let memory: cl_mem
    let bytes: Int
    private let ledger: MemoryLedger

    init(memory: cl_mem, bytes: Int, ledger: MemoryLedger) {
        self.memory = memory
        self.bytes = bytes
        self.ledger = ledger
    }

    deinit {
        clReleaseMemObject(memory)
        ledger.release(bytes)
    }
}

/// A tensor of the OpenCL backend: a device buffer, or, for a weight the device cannot run (an unsupported
/// type, or larger than the device's largest allocation), the CPU backend's tensor that the fallback uses.
final class OpenCLTensor: BackendTensor, @unchecked Sendable {
    enum Storage {
        case device(DeviceBuffer)
        case host(any BackendTensor)
    }

    let type: TensorType
    let rows: Int
    let columns: Int
    let rowBytes: Int
    let storage: Storage

    init(type: TensorType, rows: Int, columns: Int, rowBytes: Int, storage: Storage) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.storage = storage
    }

    /// The device buffer, or nil for a host-resident weight.
    var buffer: cl_mem? {
        if case let .device(buffer) = storage { return buffer.memory }
        return nil
    }

    /// The CPU backend's tensor of a host-resident weight.
    var host: (any BackendTensor)? {
        if case let .host(tensor) = storage { return tensor }
        return nil
    }
}
