import Foundation

/// Writes a GGUF v3 file: metadata, tensor infos, then each tensor's bytes at an aligned offset.
///
/// Tensors are streamed to disk one at a time through `produce` closures, so converting a large model holds
/// at most one converted tensor in memory.
public struct GGUFWriter {
    /// A tensor to write: its ggml shape and a closure that produces its bytes when they are written.
    public struct Entry {
        /// The tensor name in the file (ggml names: `blk.N.attn_q.weight`, ...).
        public let name: String
        /// The stored type; `produce` must return exactly this type.
        public let type: TensorType
        /// Outer dimension.
        public let rows: Int
        /// Contiguous dimension (ggml `ne[0]`).
        public let columns: Int
        /// Vectors are written 1-D (`ne = [columns]`), matrices 2-D (`ne = [columns, rows]`).
        public let isVector: Bool
        /// Produces the bytes when the tensor is written (so only one converted tensor is alive at a time).
        public let produce: () throws -> HostTensor
    }

    /// Alignment of the data section and of each tensor (GGUF default 32).
    public let alignment: Int
    private var metadata: [(String, GGUFValue)] = []
    private var entries: [Entry] = []

    /// An empty file description with the given tensor alignment.
    public init(alignment: Int = 32) { self.alignment = alignment }

    /// Adds a metadata key (written in insertion order).
    public mutating func set(_ key: String, _ value: GGUFValue) { metadata.append((key, value)) }

    /// Adds a tensor whose bytes come from `produce` (checked against the declared shape when written).
    public mutating func add(name: String, type: TensorType, rows: Int, columns: Int, isVector: Bool = false,
                             produce: @escaping () throws -> HostTensor) {
        entries.append(Entry(name: name, type: type, rows: rows, columns: columns, isVector: isVector, produce: produce))
    }

    /// Writes the file; `progress` gets (tensors written, total).
    public func write(to path: String, progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw FileError.cannotOpen(path: path, reason: "cannot create the file")
        }
        defer { try? handle.close() }
        var header = Data()
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
        func putString(_ s: String) { put(UInt64(s.utf8.count)); header.append(contentsOf: Array(s.utf8)) }
        func typeID(_ v: GGUFValue) -> UInt32 {
            switch v {
            case .uint8: return 0
            case .int8: return 1
            case .uint16: return 2
            case .int16: return 3
            case .uint32: return 4
            case .int32: return 5
            case .float32: return 6
            case .bool: return 7
            case .string: return 8
            case .array: return 9
            case .uint64: return 10
            case .int64: return 11
            case .float64: return 12
            }
        }
        func putValue(_ v: GGUFValue) throws {
            switch v {
            case let .uint8(x): put(x)
            case let .int8(x): put(x)
            case let .uint16(x): put(x)
            case let .int16(x): put(x)
            case let .uint32(x): put(x)
            case let .int32(x): put(x)
            case let .float32(x): put(x.bitPattern)
            case let .bool(x): put(UInt8(x ? 1 : 0))
            case let .string(x): putString(x)
            case let .uint64(x): put(x)
            case let .int64(x): put(x)
            case let .float64(x): put(x.bitPattern)
            case let .array(items):
                let type = items.first.map(typeID) ?? 4
                guard items.allSatisfy({ typeID($0) == type }), type != 9 else {
                    throw GGUFWriterError.unsupportedValue("arrays must hold one non-array type")
                }
                put(type); put(UInt64(items.count))
                for item in items { try putValue(item) }
            }
        }
        put(UInt32(0x4655_4747)); put(UInt32(3)); put(UInt64(entries.count)); put(UInt64(metadata.count))
        for (key, value) in metadata {
            putString(key); put(typeID(value)); try putValue(value)
        }
        var offset = 0
        var sizes: [Int] = []
        for e in entries {
            guard let rowBytes = e.type.rowBytes(columns: e.columns) else {
                throw GGUFWriterError.unsupportedValue("\(e.name): \(e.columns) columns is not a whole number of \(e.type) blocks")
            }
            let size = rowBytes * e.rows
            sizes.append(size)
            putString(e.name)
            if e.isVector { put(UInt32(1)); put(UInt64(e.columns)) } else { put(UInt32(2)); put(UInt64(e.columns)); put(UInt64(e.rows)) }
            put(e.type.rawValue); put(UInt64(offset))
            offset += (size + alignment - 1) / alignment * alignment
        }
        header.append(contentsOf: [UInt8](repeating: 0, count: (alignment - header.count % alignment) % alignment))
        try handle.write(contentsOf: header)
        for (i, (e, size)) in zip(entries, sizes).enumerated() {
            let tensor = try e.produce()
            guard tensor.type == e.type, tensor.bytes.count == size else {
                throw GGUFWriterError.unsupportedValue("\(e.name): produced \(tensor.bytes.count) bytes of \(tensor.type), declared \(size) of \(e.type)")
            }
            try handle.write(contentsOf: Data(tensor.bytes))
            let padding = (alignment - size % alignment) % alignment
            if padding > 0 { try handle.write(contentsOf: Data(count: padding)) }
            progress?(i + 1, entries.count)
        }
    }
}

/// Why a GGUF file could not be written.
public enum GGUFWriterError: Error, Equatable, CustomStringConvertible {
    case unsupportedValue(String)

    public var description: String {
        switch self {
        case let .unsupportedValue(message): return "Cannot write GGUF: \(message)"
        }
    }
}
