import Foundation
import LlamaKit
import LlamaKitBackends
import LlamaKitOpenCL
import Testing

/// Device discovery, typed errors and the program binary cache.
@Suite("OpenCL devices and program cache")
struct OpenCLDeviceTests {
    @Test("devices are listed with their properties")
    func listsDevices() throws {
        let devices = try OpenCLBackend.devices()
        #expect(!devices.isEmpty)
        for (i, device) in devices.enumerated() {
            #expect(device.index == i)
            #expect(!device.name.isEmpty && !device.platformName.isEmpty)
            #expect(device.globalMemoryBytes > 0 && device.computeUnits > 0 && device.maxWorkGroupSize > 0)
        }
        let backend = try OpenCLTestSupport.backend()
        print("OpenCL device: \(backend.device); program: \(backend.programOrigin)")
        #expect(BackendChoice.deviceListing().contains(devices[0].name))
    }

    @Test("an index past the last device is a typed error")
    func deviceOutOfRange() throws {
        let count = try OpenCLBackend.devices().count
        #expect(throws: OpenCLError.deviceIndexOutOfRange(index: count, count: count)) {
            _ = try OpenCLBackend(device: count)
        }
        #expect(throws: BackendChoice.ChoiceError.unknownBackend("vulkan")) { _ = try BackendChoice.make(name: "vulkan") }
        #expect(throws: BackendChoice.ChoiceError.deviceNotApplicable(backend: "cpu")) { _ = try BackendChoice.make(name: "cpu", device: 0) }
        #expect(try BackendChoice.make(name: "opencl", device: 0).name == "opencl")
    }

    @Test("the second start loads the cached binary; a corrupt entry is ignored and rebuilt")
    func programCache() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-opencl-cache-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = OpenCLBackend.Options(cacheDirectory: directory.path)
        let device = try OpenCLTestSupport.deviceIndex ?? OpenCLTestSupport.backend().device.index

        let first = try OpenCLBackend(device: device, options: options)
        #expect(first.programOrigin == .compiled(cached: true))
        let file = try #require(first.programCacheFile)
        #expect(FileManager.default.fileExists(atPath: file))

        let second = try OpenCLBackend(device: device, options: options)
        #expect(second.programOrigin == .binaryCache)
        try Self.checkAdd(second)

        // Flip bytes in the middle of the entry: the hash no longer matches, so it is rebuilt, not loaded.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        for i in stride(from: bytes.count / 2, to: min(bytes.count, bytes.count / 2 + 64), by: 1) { bytes[i] ^= 0x5A }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let third = try OpenCLBackend(device: device, options: options)
        #expect(third.programOrigin == .compiled(cached: true))
        try Self.checkAdd(third)

        // A truncated entry too.
        try Data(bytes.prefix(10)).write(to: URL(fileURLWithPath: file))
        let fourth = try OpenCLBackend(device: device, options: options)
        #expect(fourth.programOrigin == .compiled(cached: true))
        #expect(try OpenCLBackend(device: device, options: options).programOrigin == .binaryCache)
    }

    /// The kernels of a backend work: 1 + 2 = 3.
    static func checkAdd(_ backend: OpenCLBackend) throws {
        let a = try backend.makeTensor(type: .f32, rows: 1, columns: 3)
        let b = try backend.makeTensor(type: .f32, rows: 1, columns: 3)
        try backend.write([1, 2, 3], to: a, firstRow: 0)
        try backend.write([2, 2, 2], to: b, firstRow: 0)
        try backend.add(a, into: b, rows: 1)
        #expect(try backend.read(b, rows: 0 ..< 1) == [3, 4, 5])
    }
}
