import Foundation
import LlamaKit
import Testing

/// The safetensors reader on hand-made files: views, metadata, and every malformed case as a typed error.
@Suite("safetensors reader")
struct SafetensorsTests {
    /// Writes a safetensors file from a header object and raw data bytes.
    static func write(header: [String: Any], data: [UInt8], headerLengthOverride: UInt64? = nil, name: String = "t.safetensors",
                      folder: URL? = nil) throws -> String {
        let dir = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var json = try JSONSerialization.data(withJSONObject: header)
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes = Data()
        var length = (headerLengthOverride ?? UInt64(json.count)).littleEndian
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        bytes.append(json)
        bytes.append(contentsOf: data)
        let path = dir.appendingPathComponent(name).path
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func entry(_ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> [String: Any] {
        ["dtype": dtype, "shape": shape, "data_offsets": [begin, end]]
    }

    @Test("views are zero-copy with (rows, columns) from the PyTorch shape; metadata is read")
    func views() throws {
        let floats: [Float] = [1, 2, 3, 4, 5, 6]
        var data = floats.withUnsafeBytes { Array($0) }
        data += [0x80, 0x3F, 0x00, 0x40]  // bf16 1.0, 2.0
        let path = try Self.write(header: ["__metadata__": ["format": "pt"], "w": Self.entry("F32", [2, 3], 0, 24),
                                           "n": Self.entry("BF16", [2], 24, 28)], data: data)
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["format": "pt"])
        let w = try file.tensor("w")
        #expect(w.rows == 2 && w.columns == 3 && w.type == .f32)
        #expect(Array(w.bytes.bindMemory(to: Float.self)) == floats)
        let n = try file.tensor("n").convertedToF32()
        #expect(n.rows == 1 && n.columns == 2)
        #expect(Array(n.bytes.bindMemory(to: Float.self)) == [1, 2])
        #expect(throws: SafetensorsError.missingTensor("x")) { try file.tensor("x") }
    }

    @Test("malformed files → typed errors")
    func malformed() throws {
        let data = [UInt8](repeating: 0, count: 16)
        func open(_ header: [String: Any], override: UInt64? = nil) throws {
            _ = try SafetensorsFile(path: try Self.write(header: header, data: data, headerLengthOverride: override))
        }
        #expect(throws: SafetensorsError.self) { try open(["a": Self.entry("F32", [4], 0, 16)], override: 1 << 40) }
        #expect(throws: SafetensorsError.offsetsOutOfRange(tensor: "a", begin: 0, end: 32, dataSize: 16)) {
            try open(["a": Self.entry("F32", [8], 0, 32)])
        }
        #expect(throws: SafetensorsError.self) { try open(["a": Self.entry("F32", [2], 8, 0)]) }
        #expect(throws: SafetensorsError.self) { try open(["a": Self.entry("F32", [3], 0, 12), "b": Self.entry("F32", [2], 8, 16)]) }
        #expect(throws: SafetensorsError.unsupportedDType(tensor: "a", dtype: "I8")) { try open(["a": Self.entry("I8", [16], 0, 16)]) }
        #expect(throws: SafetensorsError.sizeMismatch(tensor: "a", shape: [3], dtype: "F32", bytes: 16)) {
            try open(["a": Self.entry("F32", [3], 0, 16)])
        }
        #expect(throws: SafetensorsError.self) { try open(["a": ["dtype": "F32"]]) }
        // Not JSON at all: a valid length over garbage bytes.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let garbage = dir.appendingPathComponent("g.safetensors")
        try Data([8, 0, 0, 0, 0, 0, 0, 0] + Array("{not json".utf8.prefix(8))).write(to: garbage)
        #expect(throws: SafetensorsError.self) { _ = try SafetensorsFile(path: garbage.path) }
        let short = dir.appendingPathComponent("s.safetensors")
        try Data([1, 2, 3]).write(to: short)
        #expect(throws: SafetensorsError.self) { _ = try SafetensorsFile(path: short.path) }
    }

    @Test("sharded folders: the index maps names to shards; a missing shard is a typed error")
    func sharded() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-st-\(UUID().uuidString)")
        let ones: [Float] = [1, 1, 1, 1]
        _ = try Self.write(header: ["a": Self.entry("F32", [4], 0, 16)], data: ones.withUnsafeBytes { Array($0) },
                           name: "model-00001-of-00002.safetensors", folder: dir)
        let index: [String: Any] = ["weight_map": ["a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"]]
        try JSONSerialization.data(withJSONObject: index).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        #expect(throws: SafetensorsError.missingShard(index: dir.appendingPathComponent("model.safetensors.index.json").path,
                                                      shard: "model-00002-of-00002.safetensors")) {
            _ = try SafetensorsCheckpoint(folder: dir.path)
        }
        _ = try Self.write(header: ["b": Self.entry("F32", [4], 0, 16)], data: ones.withUnsafeBytes { Array($0) },
                           name: "model-00002-of-00002.safetensors", folder: dir)
        let checkpoint = try SafetensorsCheckpoint(folder: dir.path)
        #expect(checkpoint.tensorNames == ["a", "b"])
        #expect(try checkpoint.tensor("b").columns == 4)
        #expect(checkpoint.totalBytes == 32)
        try Data("{\"weight_map\": 3}".utf8).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        #expect(throws: SafetensorsError.self) { _ = try SafetensorsCheckpoint(folder: dir.path) }
    }
}
