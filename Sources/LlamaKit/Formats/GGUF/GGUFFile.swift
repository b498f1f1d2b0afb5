/// A parsed GGUF file (versions 2 and 3): metadata, tensor directory, and the memory-mapped tensor data.
///
/// Parsing validates the whole layout up front — every length against the file size, every tensor's
/// byte range against the data section and against its neighbours — so later reads cannot go out of bounds.
/// Tensor data is never copied: ``tensor(_:)`` returns a view into the mapping.
public final class GGUFFile: @unchecked Sendable {
    /// One entry of the tensor directory.
    public struct TensorInfo: Sendable, Equatable {
        public let name: String
        /// Dimensions in ggml order: `dims[0]` is the contiguous one.
        public let dims: [Int]
        /// The raw ggml type number.
        public let rawType: UInt32
        /// Offset from the start of the data section.
        public let offset: Int
        /// Size in bytes.
        public let byteCount: Int

        /// The storage type, if LlamaKit supports it.
        public var type: TensorType? { TensorType(rawValue: rawType) }
        public var columns: Int { dims.first ?? 1 }
        public var rows: Int { dims.dropFirst().reduce(1, *) }
    }

    public let path: String
    public let version: UInt32
    /// Metadata in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [TensorInfo]
    public let alignment: Int
    private let tensorIndex: [String: Int]
    private let data: UnsafeRawBufferPointer
    private let mapping: MappedFile

    /// Opens and validates a GGUF file.
    public convenience init(path: String) throws {
        try self.init(mapping: MappedFile(path: path))
    }

    /// Parses an already-mapped file.
    public init(mapping: MappedFile) throws(GGUFError) {
        self.mapping = mapping
        self.path = mapping.path
        var reader = ByteReader(mapping.bytes)

        let magic = try reader.read(UInt32.self, "the magic number")
        guard magic == 0x4655_4747 else { throw .badMagic(found: magic) }
        let version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
        self.version = version
        let tensorCount = try reader.read(UInt64.self, "the tensor count")
        let kvCount = try reader.read(UInt64.self, "the metadata count")
        // Each key-value pair takes at least 12 bytes and each tensor info at least 24, so larger counts
        // cannot fit in the file: reject them before allocating anything.
        guard kvCount <= UInt64(reader.remaining / 12) else {
            throw .truncated(what: "\(kvCount) metadata entries", offset: reader.offset, needed: Int(clamping: kvCount) &* 12, available: reader.remaining)
        }
        guard tensorCount <= UInt64(reader.remaining / 24) else {
            throw .truncated(what: "\(tensorCount) tensor infos", offset: reader.offset, needed: Int(clamping: tensorCount) &* 24, available: reader.remaining)
        }

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        for _ in 0 ..< Int(kvCount) {
            let key = try Self.readString(&reader, "a metadata key")
            let type = try reader.read(UInt32.self, "the type of '\(key)'")
            let value = try Self.readValue(&reader, type: type, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else { throw .duplicateKey(key) }
            keys.append(key)
        }
        self.metadataKeys = keys
        self.metadata = metadata

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.int, a > 0, a & (a - 1) == 0, a <= 1 << 20 else { throw .badAlignment(value.int ?? -1) }
            alignment = a
        }
        self.alignment = alignment

        var infos: [TensorInfo] = []
        var index: [String: Int] = [:]
        for _ in 0 ..< Int(tensorCount) {
            let name = try Self.readString(&reader, "a tensor name")
            let nDims = try reader.read(UInt32.self, "the dimension count of '\(name)'")
            guard nDims >= 1, nDims <= 4 else { throw .tooManyDimensions(tensor: name, count: nDims) }
            var rawDims: [UInt64] = []
            for d in 0 ..< Int(nDims) { rawDims.append(try reader.read(UInt64.self, "dimension \(d) of '\(name)'")) }
            let rawType = try reader.read(UInt32.self, "the type of '\(name)'")
            let offset = try reader.read(UInt64.self, "the offset of '\(name)'")

            var elements = 1
            var dims: [Int] = []
            for raw in rawDims {
                guard let d = Int(exactly: raw) else { throw .shapeOverflow(tensor: name, dims: rawDims) }
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow else { throw .shapeOverflow(tensor: name, dims: rawDims) }
                elements = product
                dims.append(d)
            }
            guard let traits = GGMLTypeSizes.entry(rawType) else { throw .unknownTensorType(tensor: name, type: rawType) }
            guard dims[0] % traits.blockSize == 0 else {
                throw .rowNotWholeBlocks(tensor: name, columns: dims[0], blockSize: traits.blockSize)
            }
            let (byteCount, overflow) = (elements / traits.blockSize).multipliedReportingOverflow(by: traits.blockBytes)
            guard !overflow else { throw .shapeOverflow(tensor: name, dims: rawDims) }
            guard offset % UInt64(alignment) == 0 else { throw .misalignedTensor(tensor: name, offset: offset) }
            guard let intOffset = Int(exactly: offset) else {
                throw .tensorOutOfRange(tensor: name, offset: offset, bytes: byteCount, dataBytes: 0)
            }
            guard index.updateValue(infos.count, forKey: name) == nil else { throw .duplicateTensor(name) }
            infos.append(TensorInfo(name: name, dims: dims, rawType: rawType, offset: intOffset, byteCount: byteCount))
        }

        // The data section starts at the next multiple of the alignment.
        let dataStart = (reader.offset + alignment - 1) / alignment * alignment
        let dataBytes = max(0, mapping.bytes.count - dataStart)
        if !infos.isEmpty { try reader.skip(to: min(dataStart, mapping.bytes.count), "padding before tensor data") }
        for info in infos {
            let (end, overflow) = info.offset.addingReportingOverflow(info.byteCount)
            guard !overflow, end <= dataBytes else {
                throw .tensorOutOfRange(tensor: info.name, offset: UInt64(info.offset), bytes: info.byteCount, dataBytes: dataBytes)
            }
        }
        let sorted = infos.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.byteCount > b.offset && a.byteCount > 0 && b.byteCount > 0 {
            throw .overlappingTensors(a.name, b.name)
        }
        self.tensors = infos
        self.tensorIndex = index
        self.data = dataBytes > 0
            ? UnsafeRawBufferPointer(rebasing: mapping.bytes[dataStart...])
            : UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// The directory entry for `name`, if present.
    public func info(_ name: String) -> TensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// A zero-copy view of tensor `name`'s bytes.
    public func tensor(_ name: String) throws(GGUFError) -> HostTensor {
        guard let info = info(name) else { throw .missingTensor(name) }
        guard let type = info.type else {
            throw .unsupportedTensorType(tensor: name, type: GGMLTypeSizes.entry(info.rawType)?.name ?? "type \(info.rawType)")
        }
        let bytes = UnsafeRawBufferPointer(rebasing: data[info.offset ..< info.offset + info.byteCount])
        return HostTensor(name: name, type: type, rows: info.rows, columns: info.columns, bytes: bytes, owner: mapping)
    }

    // MARK: Typed metadata access

    /// An integer metadata value; throws if missing or not an integer.
    public func int(_ key: String) throws(GGUFError) -> Int {
        guard let value = metadata[key] else { throw .missingKey(key) }
        guard let v = value.int else { throw .wrongKeyType(key: key, expected: "an integer") }
        return v
    }

    /// A floating-point metadata value; throws if missing or not a number.
    public func double(_ key: String) throws(GGUFError) -> Double {
        guard let value = metadata[key] else { throw .missingKey(key) }
        guard let v = value.double else { throw .wrongKeyType(key: key, expected: "a number") }
        return v
    }

    /// A string metadata value; throws if missing or not a string.
    public func string(_ key: String) throws(GGUFError) -> String {
        guard let value = metadata[key] else { throw .missingKey(key) }
        guard let v = value.string else { throw .wrongKeyType(key: key, expected: "a string") }
        return v
    }

    // MARK: Parsing

    private static let maxArrayDepth = 4

    private static func readString(_ reader: inout ByteReader, _ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let length = try reader.read(UInt64.self, "the length of \(what())")
        guard length <= UInt64(reader.remaining) else {
            throw .truncated(what: what(), offset: reader.offset, needed: Int(clamping: length), available: reader.remaining)
        }
        let raw = try reader.readBytes(Int(length), what())
        // Tokens of byte-level vocabularies are valid UTF-8; anything else is repaired, not trusted.
        return String(decoding: raw, as: UTF8.self)
    }

    private static func readValue(_ reader: inout ByteReader, type: UInt32, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case 0: return .uint8(try reader.read(UInt8.self, "'\(key)'"))
        case 1: return .int8(try reader.read(Int8.self, "'\(key)'"))
        case 2: return .uint16(try reader.read(UInt16.self, "'\(key)'"))
        case 3: return .int16(try reader.read(Int16.self, "'\(key)'"))
        case 4: return .uint32(try reader.read(UInt32.self, "'\(key)'"))
        case 5: return .int32(try reader.read(Int32.self, "'\(key)'"))
        case 6: return .float32(try reader.readFloat("'\(key)'"))
        case 7: return .bool(try reader.read(UInt8.self, "'\(key)'") != 0)
        case 8: return .string(try readString(&reader, "the string '\(key)'"))
        case 9:
            guard depth < maxArrayDepth else { throw .arrayTooDeep(key: key) }
            let elementType = try reader.read(UInt32.self, "the element type of '\(key)'")
            let count = try reader.read(UInt64.self, "the element count of '\(key)'")
            guard let minSize = minimumSize(of: elementType) else { throw .unknownValueType(key: key, type: elementType) }
            // Reject counts that cannot fit in what is left before allocating for them.
            guard count <= UInt64(reader.remaining / minSize) else {
                throw .truncated(what: "the \(count)-element array '\(key)'", offset: reader.offset,
                                 needed: Int(clamping: count) &* minSize, available: reader.remaining)
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0 ..< Int(count) {
                values.append(try readValue(&reader, type: elementType, key: key, depth: depth + 1))
            }
            return .array(values)
        case 10: return .uint64(try reader.read(UInt64.self, "'\(key)'"))
        case 11: return .int64(try reader.read(Int64.self, "'\(key)'"))
        case 12: return .float64(try reader.readDouble("'\(key)'"))
        default: throw .unknownValueType(key: key, type: type)
        }
    }

    /// The fewest bytes one value of a type can take (strings: the 8-byte length; arrays: type + count).
    private static func minimumSize(of type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        case 9: return 12
        default: return nil
        }
    }
}
