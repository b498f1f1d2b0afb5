/// Reads Python-style calls with keyword arguments, the syntax of Llama's built-in tool calls
/// (`brave_search.call(query="weather in Paris")`) and of Llama 3.2's zero-shot format
/// (`[get_weather(city="Paris"), get_time(tz="CET")]`). Values may be strings (single or double quoted,
/// with escapes), integers, floats, `True`, `False`, `None`, and lists or dicts of those.
struct PythonCallParser {
    struct Failure: Error {
        var reason: String
    }

    private let scalars: [Unicode.Scalar]
    private(set) var position = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    var atEnd: Bool { position >= scalars.count }

    mutating func skipWhitespace() {
        while position < scalars.count, PythonText.isWhitespace(scalars[position]) { position += 1 }
    }

    func peek() -> Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    mutating func skip(_ c: Unicode.Scalar) -> Bool {
        guard peek() == c else { return false }
        position += 1
        return true
    }

    /// A dotted name such as `brave_search.call` or `get_weather`.
    mutating func dottedName() -> String? {
        var name = String.UnicodeScalarView()
        while let c = peek(), c == "_" || c == "." || c.properties.isAlphabetic || (c.properties.numericType != nil && !name.isEmpty) {
            name.append(c)
            position += 1
        }
        return name.isEmpty ? nil : String(name)
    }

    /// `name(key=value, …)`; returns the name and the arguments in order.
    mutating func call() throws(Failure) -> (String, JSONObject) {
        skipWhitespace()
        guard let name = dottedName() else { throw Failure(reason: "expected a function name") }
        skipWhitespace()
        guard skip("(") else { throw Failure(reason: "expected '(' after \(name)") }
        var arguments = JSONObject()
        skipWhitespace()
        if skip(")") { return (name, arguments) }
        while true {
            skipWhitespace()
            guard let key = dottedName(), !key.contains(".") else { throw Failure(reason: "expected a keyword argument in \(name)(…)") }
            skipWhitespace()
            guard skip("=") else { throw Failure(reason: "expected '=' after argument '\(key)'") }
            skipWhitespace()
            arguments[key] = try value(depth: 0)
            skipWhitespace()
            if skip(",") {
                skipWhitespace()
                if skip(")") { return (name, arguments) }
                continue
            }
            guard skip(")") else {
                throw Failure(reason: atEnd ? "unterminated call to \(name)" : "expected ',' or ')' in \(name)(…)")
            }
            return (name, arguments)
        }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard depth < 64 else { throw Failure(reason: "arguments nested too deeply") }
        guard let c = peek() else { throw Failure(reason: "missing argument value") }
        switch c {
        case "\"", "'":
            return .string(try string(quote: c))
        case "[":
            position += 1
            var items: [JSONValue] = []
            while true {
                skipWhitespace()
                if skip("]") { return .array(items) }
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                if skip(",") { continue }
                guard skip("]") else { throw Failure(reason: "unterminated list") }
                return .array(items)
            }
        case "{":
            position += 1
            var object = JSONObject()
            while true {
                skipWhitespace()
                if skip("}") { return .object(object) }
                guard let q = peek(), q == "\"" || q == "'" else { throw Failure(reason: "dict keys must be strings") }
                let key = try string(quote: q)
                skipWhitespace()
                guard skip(":") else { throw Failure(reason: "expected ':' in a dict") }
                skipWhitespace()
                object[key] = try value(depth: depth + 1)
                skipWhitespace()
                if skip(",") { continue }
                guard skip("}") else { throw Failure(reason: "unterminated dict") }
                return .object(object)
            }
        default:
            var word = String.UnicodeScalarView()
            while let d = peek(), d == "-" || d == "+" || d == "." || d == "_" || d.properties.isAlphabetic || d.properties.numericType != nil {
                word.append(d)
                position += 1
            }
            let text = String(word)
            switch text {
            case "True", "true": return .bool(true)
            case "False", "false": return .bool(false)
            case "None", "null": return .null
            default:
                if let i = Int(text) { return .int(i) }
                if let d = Double(text), d.isFinite { return .double(d) }
                throw Failure(reason: text.isEmpty ? "unexpected character '\(c)'" : "unsupported value '\(text)'")
            }
        }
    }

    private mutating func string(quote: Unicode.Scalar) throws(Failure) -> String {
        position += 1
        var out = String.UnicodeScalarView()
        while let c = peek() {
            position += 1
            if c == quote { return String(out) }
            guard c == "\\", let e = peek() else {
                out.append(c)
                continue
            }
            position += 1
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "u":
                let hex = String(String.UnicodeScalarView(scalars[position ..< min(position + 4, scalars.count)]))
                guard hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                    throw Failure(reason: "invalid \\u escape")
                }
                out.append(scalar)
                position += 4
            default: out.append(e)
            }
        }
        throw Failure(reason: "unterminated string")
    }
}
