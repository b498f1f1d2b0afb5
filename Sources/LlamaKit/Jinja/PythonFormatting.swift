import Foundation

/// A Python format specification `[[fill]align][sign][0][width][.precision][type]`, for the handful of
/// types templates use (`s`, `d`, `f`, `e`, `%`), shared by `str.format` and `%` formatting.
struct PythonFormatSpec {
    var fill: Character = " "
    var align: Character?
    var sign: Character?
    var width = 0
    var precision: Int?
    var type: Character?

    init(_ spec: String) {
        var chars = Array(spec)
        if chars.count >= 2, "<>^=".contains(chars[1]) {
            fill = chars[0]
            align = chars[1]
            chars.removeFirst(2)
        } else if let first = chars.first, "<>^=".contains(first) {
            align = first
            chars.removeFirst()
        }
        if let first = chars.first, "+- ".contains(first) {
            sign = first
            chars.removeFirst()
        }
        if chars.first == "0" {
            fill = "0"
            if align == nil { align = "=" }
            chars.removeFirst()
        }
        var digits = ""
        while let c = chars.first, c.isASCII, c.isNumber {
            digits.append(c)
            chars.removeFirst()
        }
        // Python would honour any width; very large ones are capped rather than allocated.
        width = min(Int(digits) ?? 0, 1 << 20)
        if chars.first == "." {
            chars.removeFirst()
            var p = ""
            while let c = chars.first, c.isASCII, c.isNumber {
                p.append(c)
                chars.removeFirst()
            }
            precision = Int(p).map { min($0, 100) }
        }
        type = chars.first
    }

    func apply(_ value: JinjaValue) -> String {
        var body: String
        var isNumeric = false
        switch type {
        case "d":
            isNumeric = true
            body = value.intValue.map(String.init) ?? value.pythonStr
        case "f", "F", "%":
            isNumeric = true
            let d = (value.doubleValue ?? 0) * (type == "%" ? 100 : 1)
            body = Self.fixed(d, precision ?? 6) + (type == "%" ? "%" : "")
        case "e", "E":
            isNumeric = true
            body = Self.exponent(value.doubleValue ?? 0, precision ?? 6)
        default:
            switch value {
            case .int, .double: isNumeric = true
            default: break
            }
            body = value.pythonStr
            if let precision {
                if case let .double(d) = value {
                    body = Self.fixed(d, precision)
                } else if !isNumeric {
                    body = PythonText.make(body.unicodeScalars.prefix(precision))
                }
            }
        }
        if isNumeric, let sign, !body.hasPrefix("-") {
            if sign == "+" { body = "+" + body } else if sign == " " { body = " " + body }
        }
        let padding = width - body.count
        guard padding > 0 else { return body }
        switch align ?? (isNumeric ? ">" : "<") {
        case "<": return body + String(repeating: fill, count: padding)
        case "^":
            let left = padding / 2
            return String(repeating: fill, count: left) + body + String(repeating: fill, count: padding - left)
        case "=":
            if let first = body.first, "+- ".contains(first) {
                return String(first) + String(repeating: fill, count: padding) + body.dropFirst()
            }
            return String(repeating: fill, count: padding) + body
        default: return String(repeating: fill, count: padding) + body
        }
    }

    static func fixed(_ d: Double, _ precision: Int) -> String {
        guard d.isFinite else { return d.isNaN ? "nan" : (d < 0 ? "-inf" : "inf") }
        var scaled = (d * pow10(precision)).rounded(.toNearestOrEven)
        let negative = scaled < 0 || (scaled == 0 && d.sign == .minus)
        scaled = abs(scaled)
        var digits = scaled < 1e18 ? String(UInt64(scaled)) : String(format: "%.0f", scaled)
        while digits.count <= precision { digits = "0" + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -precision)
        let text = precision == 0 ? String(digits) : digits[..<cut] + "." + digits[cut...]
        return (negative ? "-" : "") + text
    }

    static func exponent(_ d: Double, _ precision: Int) -> String {
        guard d != 0, d.isFinite else { return fixed(d, precision) + "e+00" }
        var e = Int((abs(d)).log10Floor)
        var mantissa = d / pow10(e)
        if abs((mantissa * pow10(precision)).rounded()) >= 10 * pow10(precision) {
            e += 1
            mantissa = d / pow10(e)
        }
        let exponentText = (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
        return fixed(mantissa, precision) + "e" + exponentText
    }

    private static func pow10(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0 ..< abs(n) { r *= 10 }
        return n < 0 ? 1 / r : r
    }
}

private extension Double {
    var log10Floor: Double {
        var e = 0.0
        var x = self
        while x >= 10 { x /= 10; e += 1 }
        while x < 1 { x *= 10; e -= 1 }
        return e
    }
}

/// `str.format(*args, **kwargs)`: `{}`, `{0}`, `{name}`, `{name.attr}`, `{0[key]}`, conversions `!s`/`!r`
/// and format specs.
enum PythonBraceFormat {
    static func format(_ template: String, _ args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> String {
        var out = ""
        let chars = Array(template)
        var i = 0
        var autoIndex = 0
        while i < chars.count {
            let c = chars[i]
            if c == "{" {
                if i + 1 < chars.count, chars[i + 1] == "{" {
                    out.append("{")
                    i += 2
                    continue
                }
                guard let close = chars[(i + 1)...].firstIndex(of: "}") else {
                    throw interpreter.typeError("Single '{' encountered in format string", at: nil)
                }
                let field = String(chars[(i + 1) ..< close])
                out += try render(field, args, &autoIndex, interpreter)
                i = close + 1
            } else if c == "}" {
                guard i + 1 < chars.count, chars[i + 1] == "}" else {
                    throw interpreter.typeError("Single '}' encountered in format string", at: nil)
                }
                out.append("}")
                i += 2
            } else {
                out.append(c)
                i += 1
            }
        }
        return out
    }

    private static func render(_ field: String, _ args: JinjaCallArguments, _ autoIndex: inout Int,
                               _ interpreter: JinjaInterpreter) throws(JinjaError) -> String {
        var name = field
        var spec = ""
        var conversion: Character?
        if let colon = name.firstIndex(of: ":") {
            spec = String(name[name.index(after: colon)...])
            name = String(name[..<colon])
        }
        if let bang = name.firstIndex(of: "!") {
            conversion = name[name.index(after: bang)...].first
            name = String(name[..<bang])
        }
        // The first part names the argument; `.attr` and `[key]` parts follow.
        let head = String(name.prefix { $0 != "." && $0 != "[" })
        var rest = name.dropFirst(head.count)
        var value: JinjaValue
        if head.isEmpty {
            guard autoIndex < args.positional.count else { throw interpreter.typeError("Replacement index \(autoIndex) out of range", at: nil) }
            value = args.positional[autoIndex]
            autoIndex += 1
        } else if let index = Int(head) {
            guard index < args.positional.count else { throw interpreter.typeError("Replacement index \(index) out of range", at: nil) }
            value = args.positional[index]
        } else {
            guard let v = args.keyword.first(where: { $0.0 == head })?.1 else { throw interpreter.typeError("KeyError: '\(head)'", at: nil) }
            value = v
        }
        let location = JinjaLocation(line: 0, column: 0)
        while let first = rest.first {
            if first == "." {
                rest = rest.dropFirst()
                let attr = String(rest.prefix { $0 != "." && $0 != "[" })
                rest = rest.dropFirst(attr.count)
                value = try interpreter.attribute(of: value, attr, at: location)
            } else {
                guard let close = rest.firstIndex(of: "]") else { break }
                let key = String(rest[rest.index(after: rest.startIndex) ..< close])
                rest = rest[rest.index(after: close)...]
                value = try interpreter.item(of: value, Int(key).map(JinjaValue.int) ?? .string(key), at: location)
            }
        }
        if conversion == "r" { value = .string(value.pythonRepr()) }
        return spec.isEmpty ? value.pythonStr : PythonFormatSpec(spec).apply(value)
    }
}

/// `"format" % values`: `%s`, `%r`, `%d`, `%i`, `%f`, `%e`, `%x`, `%%` and `%(name)s`, with flags,
/// width and precision.
enum JinjaPercentFormat {
    static func format(_ template: String, _ values: JinjaValue, interpreter: JinjaInterpreter, at location: JinjaLocation) throws(JinjaError) -> String {
        let positional: [JinjaValue] = {
            if case let .tuple(items) = values { return items }
            return [values]
        }()
        var next = 0
        var out = ""
        let chars = Array(template)
        var i = 0
        while i < chars.count {
            guard chars[i] == "%" else {
                out.append(chars[i])
                i += 1
                continue
            }
            i += 1
            guard i < chars.count else { throw interpreter.typeError("incomplete format", at: location) }
            if chars[i] == "%" {
                out.append("%")
                i += 1
                continue
            }
            var value: JinjaValue?
            if chars[i] == "(" {
                guard let close = chars[i...].firstIndex(of: ")") else { throw interpreter.typeError("incomplete format key", at: location) }
                let key = String(chars[(i + 1) ..< close])
                guard case let .dict(d) = values, let v = d[key] else { throw interpreter.typeError("format requires a mapping", at: location) }
                value = v
                i = close + 1
            }
            var spec = ""
            while i < chars.count, "-+ #0123456789.".contains(chars[i]) {
                spec.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw interpreter.typeError("incomplete format", at: location) }
            let type = chars[i]
            i += 1
            if value == nil {
                guard next < positional.count else { throw interpreter.typeError("not enough arguments for format string", at: location) }
                value = positional[next]
                next += 1
            }
            guard let value else { continue }
            let leftAlign = spec.hasPrefix("-")
            let cleaned = spec.replacingOccurrences(of: "-", with: "")
            var pythonSpec = leftAlign ? "<" : ""
            pythonSpec += cleaned
            switch type {
            case "s": out += PythonFormatSpec(pythonSpec).apply(.string(value.pythonStr))
            case "r", "a": out += PythonFormatSpec(pythonSpec).apply(.string(value.pythonRepr()))
            case "d", "i", "u":
                guard let d = value.doubleValue else { throw interpreter.typeError("%\(type) format: a real number is required, not \(value.typeName)", at: location) }
                let truncated = d.rounded(.towardZero)
                guard truncated.isFinite, abs(truncated) < 9.2e18 else { throw interpreter.typeError("%\(type) format: number out of range", at: location) }
                out += PythonFormatSpec(pythonSpec + "d").apply(.int(Int(truncated)))
            case "f", "F", "e", "E":
                guard value.isNumber else { throw interpreter.typeError("must be real number, not \(value.typeName)", at: location) }
                out += PythonFormatSpec(pythonSpec + String(type)).apply(value)
            case "x", "X":
                guard let n = value.intValue else { throw interpreter.typeError("%x format: an integer is required", at: location) }
                let hex = String(n, radix: 16, uppercase: type == "X")
                out += PythonFormatSpec(pythonSpec).apply(.string(hex))
            default:
                throw interpreter.typeError("unsupported format character '\(type)'", at: location)
            }
        }
        if case .tuple = values, next < positional.count {
            throw interpreter.typeError("not all arguments converted during string formatting", at: location)
        }
        return out
    }
}
