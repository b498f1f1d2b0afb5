/// A metadata value in a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32), uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

    /// The value as an integer, if it is any integer type that fits `Int`.
    public var int: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(exactly: v)
        default: return nil
        }
    }

    /// The value as a floating-point number (integers convert).
    public var double: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return int.map(Double.init)
        }
    }

    public var bool: Bool? { if case let .bool(v) = self { return v } else { return nil } }
    public var string: String? { if case let .string(v) = self { return v } else { return nil } }
    public var array: [GGUFValue]? { if case let .array(v) = self { return v } else { return nil } }

    /// An array of strings, if this is one.
    public var strings: [String]? {
        guard case let .array(values) = self else { return nil }
        var out: [String] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard case let .string(s) = value else { return nil }
            out.append(s)
        }
        return out
    }

    /// An array of integers, if this is one.
    public var ints: [Int]? {
        guard case let .array(values) = self else { return nil }
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard let v = value.int else { return nil }
            out.append(v)
        }
        return out
    }

    /// An array of floats, if this is one.
    public var floats: [Float]? {
        guard case let .array(values) = self else { return nil }
        var out: [Float] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard let v = value.double else { return nil }
            out.append(Float(v))
        }
        return out
    }
}
