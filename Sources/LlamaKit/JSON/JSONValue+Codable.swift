/// `Codable`, so ``JSONValue`` can sit inside other `Codable` types.
///
/// Foundation's `JSONDecoder` does not report object keys in document order, so a value decoded this
/// way may have its keys reordered; use ``JSONValue/init(parsing:)`` where order matters (it does for
/// tool definitions that a template prints).
extension JSONValue: Codable {
    private struct DynamicCodingKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: DynamicCodingKey.self) {
            var object = JSONObject()
            for key in container.allKeys {
                object[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
            }
            self = .object(object)
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            while !container.isAtEnd { elements.append(try container.decode(JSONValue.self)) }
            self = .array(elements)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case let .bool(b):
            var container = encoder.singleValueContainer()
            try container.encode(b)
        case let .int(i):
            var container = encoder.singleValueContainer()
            try container.encode(i)
        case let .double(d):
            var container = encoder.singleValueContainer()
            try container.encode(d)
        case let .string(s):
            var container = encoder.singleValueContainer()
            try container.encode(s)
        case let .array(elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case let .object(object):
            var container = encoder.container(keyedBy: DynamicCodingKey.self)
            for (key, value) in object { try container.encode(value, forKey: DynamicCodingKey(stringValue: key)) }
        }
    }
}
