import Foundation

/// Reads and writes NumPy `.npy` files (format 1.0, little-endian, C order): logits for parity tests.
public enum NumPyFile {
    /// An array read from a `.npy` file, converted to Double.
    public struct Array: Sendable {
        public let shape: [Int]
        public let descr: String
        public let values: [Double]
    }

    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case malformed(String)
        case unsupportedType(String)

        public var description: String {
            switch self {
            case let .malformed(m): return "Malformed .npy file: \(m)"
            case let .unsupportedType(t): return "Unsupported .npy dtype \(t) (supported: <f4, <f8, <i4, <i8)."
            }
        }
    }

    /// Writes float32 values with the given shape.
    public static func write(float32 values: [Float], shape: [Int], to path: String) throws {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        // Magic (6) + version (2) + length (2) + header must be a multiple of 64; the header ends in "\n".
        let padding = 64 - (10 + header.utf8.count + 1) % 64
        header += String(repeating: " ", count: padding % 64) + "\n"
        var data = Data([0x93] + Swift.Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Swift.Array(header.utf8))
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Reads a `.npy` file of float32, float64, int32 or int64 values.
    public static func read(path: String) throws -> NumPyFile.Array {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Swift.Array(bytes[1 ..< 6]) == Swift.Array("NUMPY".utf8) else {
            throw Error.malformed("bad magic")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else {
            guard bytes.count >= 12 else { throw Error.malformed("truncated header length") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        }
        guard headerStart + headerLength <= bytes.count else { throw Error.malformed("truncated header") }
        let header = String(decoding: bytes[headerStart ..< headerStart + headerLength], as: UTF8.self)
        guard let descr = field(header, "descr") else { throw Error.malformed("no descr") }
        guard !header.contains("'fortran_order': True") else { throw Error.malformed("Fortran order is not supported") }
        guard let shapeStart = header.range(of: "'shape': ("), let shapeEnd = header[shapeStart.upperBound...].firstIndex(of: ")") else {
            throw Error.malformed("no shape")
        }
        let shape = header[shapeStart.upperBound ..< shapeEnd].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let count = shape.reduce(1, *)
        let body = bytes[(headerStart + headerLength)...]
        let width: Int
        switch descr {
        case "<f4", "<i4": width = 4
        case "<f8", "<i8": width = 8
        default: throw Error.unsupportedType(descr)
        }
        guard body.count >= count * width else { throw Error.malformed("expected \(count) values, file too short") }
        var values = [Double](repeating: 0, count: count)
        body.withUnsafeBytes { raw in
            for i in 0 ..< count {
                switch descr {
                case "<f4": values[i] = Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian))
                case "<f8": values[i] = Double(bitPattern: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian)
                case "<i4": values[i] = Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                default: values[i] = Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                }
            }
        }
        return NumPyFile.Array(shape: shape, descr: descr, values: values)
    }

    private static func field(_ header: String, _ name: String) -> String? {
        guard let start = header.range(of: "'\(name)': '") else { return nil }
        guard let end = header[start.upperBound...].firstIndex(of: "'") else { return nil }
        return String(header[start.upperBound ..< end])
    }
}
