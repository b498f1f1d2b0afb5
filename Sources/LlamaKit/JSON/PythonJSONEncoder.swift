/// How Python's `json.dumps` separates items and keys.
public struct JSONSeparators: Sendable, Equatable {
    /// Between array elements and object members (Python's default: `", "`, or `","` with an indent).
    public var item: String
    /// Between a key and its value (`": "`).
    public var key: String

    /// Python's `separators=(item, key)`.
    public init(item: String, key: String) {
        self.item = item
        self.key = key
    }
}

extension JSONValue {
    /// The text Python's `json.dumps(value, indent=…, separators=…, ensure_ascii=…, sort_keys=…)` writes,
    /// which is what transformers' `tojson` filter calls (with `ensure_ascii=False`).
    ///
    /// - Parameters:
    ///   - indent: Spaces per level; `nil` writes everything on one line.
    ///   - separators: `nil` picks Python's default for the indent.
    ///   - ensureASCII: Escape every non-ASCII character as `\uXXXX`.
    ///   - sortKeys: Write object keys in code-point order instead of insertion order.
    public func pythonJSON(indent: Int? = nil, separators: JSONSeparators? = nil,
                           ensureASCII: Bool = false, sortKeys: Bool = false) -> String {
        var writer = PythonJSONWriter(indent: indent.map { String(repeating: " ", count: max($0, 0)) },
                                      separators: separators, ensureASCII: ensureASCII, sortKeys: sortKeys)
        writer.write(self, level: 0)
        return writer.out
    }
}

/// Writes JSON the way CPython's pure-Python encoder does (the C accelerator produces the same text).
struct PythonJSONWriter {
    let indent: String?
    let itemSeparator: String
    let keySeparator: String
    let ensureASCII: Bool
    let sortKeys: Bool
    var out = ""

    init(indent: String?, separators: JSONSeparators?, ensureASCII: Bool, sortKeys: Bool) {
        self.indent = indent
        self.itemSeparator = separators?.item ?? (indent == nil ? ", " : ",")
        self.keySeparator = separators?.key ?? ": "
        self.ensureASCII = ensureASCII
        self.sortKeys = sortKeys
    }

    mutating func write(_ value: JSONValue, level: Int) {
        switch value {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d): out += Self.number(d)
        case let .string(s): writeString(s)
        case let .array(elements):
            guard !elements.isEmpty else { out += "[]"; return }
            out += "["
            for (i, element) in elements.enumerated() {
                out += i == 0 ? newline(level + 1) : itemSeparator + newline(level + 1)
                write(element, level: level + 1)
            }
            out += newline(level) + "]"
        case let .object(object):
            guard !object.isEmpty else { out += "{}"; return }
            out += "{"
            var members = Array(object)
            if sortKeys { members.sort { Array($0.key.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.key.unicodeScalars.map(\.value)) } }
            for (i, member) in members.enumerated() {
                out += i == 0 ? newline(level + 1) : itemSeparator + newline(level + 1)
                writeString(member.key)
                out += keySeparator
                write(member.value, level: level + 1)
            }
            out += newline(level) + "}"
        }
    }

    private func newline(_ level: Int) -> String {
        guard let indent else { return "" }
        return "\n" + String(repeating: indent, count: level)
    }

    /// `float.__repr__`, with JavaScript's names for the non-finite values, as `json.dumps` writes them.
    static func number(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return PythonFloatFormat.repr(d)
    }

    mutating func writeString(_ s: String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += Self.hexEscape(scalar.value)
                } else if ensureASCII, scalar.value > 0x7E {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += Self.hexEscape(0xD800 + (v >> 10)) + Self.hexEscape(0xDC00 + (v & 0x3FF))
                    } else {
                        out += Self.hexEscape(scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    static func hexEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
