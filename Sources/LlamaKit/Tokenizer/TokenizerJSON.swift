/// A parsed JSON document, as the `tokenizer.json` and `tokenizer_config.json` loaders read it.
///
/// A small parser of its own rather than Foundation's: `tokenizer.json` files are 2-20 MB with hundreds of
/// thousands of short strings, and this one reads Llama 3's in well under the 0.3 s budget.
/// Objects keep their keys in file order.
enum TokenizerJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([TokenizerJSON])
    case object(TokenizerJSONObject)
    /// A value left unparsed (see ``parse(_:file:leavingRaw:)``): its bytes in the document.
    case raw(Range<Int>)

    /// The value of `key`, if this is an object that has it.
    subscript(key: String) -> TokenizerJSON? {
        if case let .object(object) = self { return object[key] }
        return nil
    }

    var string: String? { if case let .string(s) = self { return s }; return nil }
    var bool: Bool? { if case let .bool(b) = self { return b }; return nil }
    var array: [TokenizerJSON]? { if case let .array(a) = self { return a }; return nil }
    var object: TokenizerJSONObject? { if case let .object(o) = self { return o }; return nil }
    var isNull: Bool { self == .null }

    /// The number as an integer, if it is one exactly.
    var int: Int? {
        guard case let .number(n) = self, n.rounded() == n, abs(n) < 9.0e15 else { return nil }
        return Int(n)
    }

    /// Parses `bytes` as one JSON document. Throws ``TokenizerError/invalidJSON(file:offset:reason:)``.
    static func parse(_ bytes: [UInt8], file: String) throws(TokenizerError) -> TokenizerJSON {
        var parser = TokenizerJSONParser(bytes: bytes, file: file)
        return try parser.parseDocument()
    }

    /// Parses `bytes`, but leaves the values at `paths` (object keys from the root, such as
    /// `["model", "vocab"]`) unparsed, as ``raw(_:)`` ranges that only had their extent checked. Callers
    /// read those big values with a ``TokenizerJSONParser`` of their own, without building a tree.
    static func parse(_ bytes: [UInt8], file: String, leavingRaw paths: [[String]]) throws(TokenizerError) -> TokenizerJSON {
        var parser = TokenizerJSONParser(bytes: bytes, file: file)
        parser.rawPaths = paths
        return try parser.parseDocument()
    }
}

/// A JSON object: keys and values in file order. Lookups are linear, which suits the small objects of
/// tokenizer files; big ones (the vocabulary) are iterated instead.
struct TokenizerJSONObject: Sendable, Equatable {
    var keys: [String] = []
    var values: [TokenizerJSON] = []

    subscript(key: String) -> TokenizerJSON? {
        guard let index = keys.firstIndex(of: key) else { return nil }
        return values[index]
    }

    var count: Int { keys.count }
}

/// A cursor over JSON bytes: the parser of ``TokenizerJSON``, and the pieces (strings as bytes, integers)
/// that loaders use to read big values without building a tree.
struct TokenizerJSONParser {
    let bytes: [UInt8]
    let file: String
    /// The current byte offset.
    var i = 0
    var depth = 0
    var scratch: [UInt8] = []
    /// Values to leave unparsed, and the object keys leading to the current value.
    var rawPaths: [[String]] = []
    private var path: [String] = []

    init(bytes: [UInt8], file: String, position: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.i = position
    }

    func fail(_ reason: String) -> TokenizerError {
        .invalidJSON(file: file, offset: i, reason: reason)
    }

    mutating func parseDocument() throws(TokenizerError) -> TokenizerJSON {
        let value = try parseValue()
        skipWhitespace()
        guard i == bytes.count else { throw fail("unexpected text after the document") }
        return value
    }

    mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(TokenizerError) -> TokenizerJSON {
        skipWhitespace()
        guard i < bytes.count else { throw fail("unexpected end of file") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return .number(try parseNumber())
        }
    }

    mutating func expect(_ word: StaticString) throws(TokenizerError) {
        let count = word.utf8CodeUnitCount
        guard i + count <= bytes.count else { throw fail("unexpected end of file") }
        let ok = word.withUTF8Buffer { w in (0 ..< count).allSatisfy { bytes[i + $0] == w[$0] } }
        guard ok else { throw fail("unexpected character") }
        i += count
    }

    mutating func parseObject() throws(TokenizerError) -> TokenizerJSON {
        depth += 1
        guard depth < 256 else { throw fail("nesting too deep") }
        defer { depth -= 1 }
        i += 1
        var object = TokenizerJSONObject()
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            let value: TokenizerJSON
            if !rawPaths.isEmpty, rawPaths.contains(path + [key]) {
                skipWhitespace()
                let start = i
                try skipValue()
                value = .raw(start ..< i)
            } else {
                path.append(key)
                value = try parseValue()
                path.removeLast()
            }
            object.keys.append(key)
            object.values.append(value)
            skipWhitespace()
            guard i < bytes.count else { throw fail("unexpected end of file") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
            throw fail("expected ',' or '}'")
        }
    }

    mutating func parseArray() throws(TokenizerError) -> TokenizerJSON {
        depth += 1
        guard depth < 256 else { throw fail("nesting too deep") }
        defer { depth -= 1 }
        i += 1
        var array: [TokenizerJSON] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
        path.append("[]")
        defer { path.removeLast() }
        while true {
            array.append(try parseValue())
            skipWhitespace()
            guard i < bytes.count else { throw fail("unexpected end of file") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
            throw fail("expected ',' or ']'")
        }
    }

    mutating func parseNumber() throws(TokenizerError) -> Double {
        let start = i
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x30, b <= 0x39 {
                i += 1
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
                        || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") {
                isInteger = false
                i += 1
            } else {
                break
            }
        }
        guard i > start else { throw fail("unexpected character") }
        if isInteger, i - start <= 15 {
            var value = 0
            var k = start
            let negative = bytes[k] == UInt8(ascii: "-")
            if negative { k += 1 }
            guard k < i else { throw fail("malformed number") }
            while k < i { value = value * 10 + Int(bytes[k] - 0x30); k += 1 }
            return Double(negative ? -value : value)
        }
        guard let value = Double(String(decoding: bytes[start ..< i], as: UTF8.self)) else {
            throw fail("malformed number")
        }
        return value
    }

    /// Parses the string starting at the opening quote at `i`.
    mutating func parseString() throws(TokenizerError) -> String {
        let start = i + 1
        var k = start
        // Fast path: no escapes.
        while k < bytes.count {
            let b = bytes[k]
            if b == UInt8(ascii: "\"") {
                i = k + 1
                return String(decoding: bytes[start ..< k], as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") { break }
            k += 1
        }
        scratch.removeAll(keepingCapacity: true)
        var buffer = scratch
        try parseStringBytes(into: &buffer)
        scratch = buffer
        return String(decoding: scratch, as: UTF8.self)
    }

    /// Parses the string starting at the opening quote at `i`, appending its unescaped UTF-8 to `out`
    /// (lone surrogate escapes become U+FFFD).
    mutating func parseStringBytes(into out: inout [UInt8]) throws(TokenizerError) {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        i += 1
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return
            }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                i += 1
                continue
            }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if code >= 0xD800, code < 0xDC00 {
                    // A surrogate pair; a lone high surrogate becomes U+FFFD, as in most decoders.
                    if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let low = try hex4()
                        if low >= 0xDC00, low < 0xE000 {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                            code = 0xFFFD
                        }
                    } else {
                        code = 0xFFFD
                    }
                } else if code >= 0xDC00, code < 0xE000 {
                    code = 0xFFFD
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                out.append(contentsOf: String(scalar).utf8)
            default:
                throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    /// Parses a non-negative integer of at most 15 digits.
    mutating func parseNonNegativeInt() throws(TokenizerError) -> Int {
        let start = i
        var value = 0
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39, i - start < 15 {
            value = value * 10 + Int(bytes[i] - 0x30)
            i += 1
        }
        guard i > start else { throw fail("expected a non-negative integer") }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")
            || (bytes[i] >= 0x30 && bytes[i] <= 0x39) {
            throw fail("expected a non-negative integer")
        }
        return value
    }

    /// Skips whitespace, then requires `byte` and steps over it.
    mutating func expect(byte: UInt8) throws(TokenizerError) {
        skipWhitespace()
        guard i < bytes.count, bytes[i] == byte else {
            throw fail(i < bytes.count ? "expected '\(Character(Unicode.Scalar(byte)))'" : "unexpected end of file")
        }
        i += 1
    }

    /// Skips whitespace and returns the next byte without consuming it.
    mutating func peek() throws(TokenizerError) -> UInt8 {
        skipWhitespace()
        guard i < bytes.count else { throw fail("unexpected end of file") }
        return bytes[i]
    }

    /// Steps over one value, checking only that strings end and brackets balance.
    mutating func skipValue() throws(TokenizerError) {
        skipWhitespace()
        guard i < bytes.count else { throw fail("unexpected end of file") }
        var open: [UInt8] = []
        repeat {
            guard i < bytes.count else { throw fail("unexpected end of file") }
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i = bytes.withUnsafeBufferPointer { buffer in
                    var k = i + 1
                    while k < buffer.count {
                        let c = buffer[k]
                        if c == UInt8(ascii: "\"") { break }
                        k += c == UInt8(ascii: "\\") ? 2 : 1
                    }
                    return k
                }
                guard i < bytes.count else { throw fail("unterminated string") }
                i += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                open.append(b == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard open.last == b else { throw fail("unbalanced brackets") }
                open.removeLast()
                i += 1
            default:
                if open.isEmpty {
                    // A scalar value: up to the next delimiter.
                    while i < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) {
                        i += 1
                    }
                } else {
                    i += 1
                }
            }
        } while !open.isEmpty
    }

    mutating func hex4() throws(TokenizerError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("unterminated escape") }
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            let b = bytes[i]
            let digit: UInt32
            switch b {
            case 0x30 ... 0x39: digit = UInt32(b - 0x30)
            case 0x41 ... 0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61 ... 0x66: digit = UInt32(b - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            i += 1
        }
        return value
    }
}
