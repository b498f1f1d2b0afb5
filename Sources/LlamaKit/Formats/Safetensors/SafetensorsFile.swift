import Foundation

/// One `.safetensors` file, memory-mapped: an 8-byte little-endian header length, a JSON header, then the
/// raw tensor bytes.
///
/// Every tensor entry is validated when the file is opened (dtype, offsets inside the data section, no
/// overlaps, byte count equal to shape × element size), so ``tensor(_:)`` hands out zero-copy views of the
/// mapping without further checks.
public final class SafetensorsFile: @unchecked Sendable {
    /// One tensor's header entry.
    public struct TensorInfo: Sendable, Equatable {
        /// The tensor name in the header.
        public let name: String
        /// F32, F16 or BF16 (other dtypes are rejected when the file is opened).
        public let type: TensorType
        /// The shape as written (PyTorch order: outermost first).
        public let shape: [Int]
        /// Byte range relative to the start of the data section.
        public let byteRange: Range<Int>
    }

    /// The mapped file.
    public let path: String
    /// The `__metadata__` string map (e.g. `{"format": "pt"}`).
    public let metadata: [String: String]
    /// Tensor entries by name.
    public let tensors: [String: TensorInfo]
    private let file: MappedFile
    private let dataStart: Int

    /// Maps and validates `path`.
    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw SafetensorsError.headerLengthPastEnd(path: path, headerLength: 0, fileSize: bytes.count)
        }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafetensorsError.headerLengthPastEnd(path: path, headerLength: headerLength, fileSize: bytes.count)
        }
        dataStart = 8 + Int(headerLength)
        let headerBytes = Data(bytes[8 ..< dataStart])
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes)
        } catch {
            throw SafetensorsError.badJSON(path: path, reason: "the header is not valid JSON")
        }
        guard let object = json as? [String: Any] else {
            throw SafetensorsError.badJSON(path: path, reason: "the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: TensorInfo] = [:]
        let dataSize = bytes.count - dataStart
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw SafetensorsError.badJSON(path: path, reason: "__metadata__ is not an object")
                }
                for (key, entry) in map {
                    guard let text = entry as? String else {
                        throw SafetensorsError.badJSON(path: path, reason: "__metadata__[\(key)] is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            tensors[name] = try Self.parseEntry(name: name, value: value, path: path, dataSize: dataSize)
        }
        // Overlap check: sorted by start, each tensor must end before the next begins.
        let sorted = tensors.values.filter { !$0.byteRange.isEmpty }.sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.byteRange.upperBound > b.byteRange.lowerBound {
            throw SafetensorsError.overlappingTensors(a.name, b.name)
        }
        self.metadata = metadata
        self.tensors = tensors
    }

    private static func parseEntry(name: String, value: Any, path: String, dataSize: Int) throws -> TensorInfo {
        guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
              let rawShape = entry["shape"] as? [Any], let rawOffsets = entry["data_offsets"] as? [Any], rawOffsets.count == 2
        else {
            throw SafetensorsError.badJSON(path: path, reason: "entry '\(name)' needs dtype, shape and two data_offsets")
        }
        let shape = try rawShape.map { item -> Int in
            guard let n = JSONNumber.int(item) else {
                throw SafetensorsError.badJSON(path: path, reason: "entry '\(name)' has a non-integer shape")
            }
            return n
        }
        let offsets = try rawOffsets.map { item -> Int in
            guard let n = JSONNumber.int(item) else {
                throw SafetensorsError.badJSON(path: path, reason: "entry '\(name)' has non-integer data_offsets")
            }
            return n
        }
        let type: TensorType
        switch dtype {
        case "F32": type = .f32
        case "F16": type = .f16
        case "BF16": type = .bf16
        default: throw SafetensorsError.unsupportedDType(tensor: name, dtype: dtype)
        }
        guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
            throw SafetensorsError.offsetsOutOfRange(tensor: name, begin: offsets[0], end: offsets[1], dataSize: dataSize)
        }
        guard shape.count <= 4, shape.allSatisfy({ $0 >= 0 }) else { throw SafetensorsError.badShape(tensor: name, shape: shape) }
        var elements = 1
        for dim in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw SafetensorsError.badShape(tensor: name, shape: shape) }
            elements = product
        }
        let (expected, overflow) = elements.multipliedReportingOverflow(by: type.blockBytes)
        guard !overflow, expected == offsets[1] - offsets[0] else {
            throw SafetensorsError.sizeMismatch(tensor: name, shape: shape, dtype: dtype, bytes: offsets[1] - offsets[0])
        }
        return TensorInfo(name: name, type: type, shape: shape, byteRange: offsets[0] ..< offsets[1])
    }

    /// A zero-copy view of tensor `name`: the last dimension is `columns`, all outer dimensions are `rows`
    /// (a PyTorch `[out, in]` weight is `rows = out`, `columns = in`; a vector is one row).
    public func tensor(_ name: String) throws -> HostTensor {
        guard let info = tensors[name] else { throw SafetensorsError.missingTensor(name) }
        let columns = info.shape.last ?? 1
        let rows = info.shape.dropLast().reduce(1, *)
        let start = dataStart + info.byteRange.lowerBound
        let view = UnsafeRawBufferPointer(rebasing: file.bytes[start ..< start + info.byteRange.count])
        return HostTensor(name: name, type: info.type, rows: rows, columns: columns, bytes: view, owner: file)
    }
}

/// JSON numbers as written by Python: integers may come as floats (`8.0`) and vice versa.
enum JSONNumber {
    /// The value as a Double, or nil for non-numbers (booleans included).
    static func double(_ value: Any?) -> Double? {
        // `is Bool` cannot tell: on Linux an NSNumber holding 0 or 1 casts to Bool. JSON booleans are the
        // NSNumbers whose Objective-C type is "c".
        if let n = value as? NSNumber {
            if String(cString: n.objCType) == "c" { return nil }
            return n.doubleValue
        }
        return nil
    }

    /// The value as an Int when it is an integral number.
    static func int(_ value: Any?) -> Int? {
        guard let d = double(value), d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }
}
