import Foundation

/// Jinja's built-in filters with transformers' `tojson`, following Jinja2 3.1's definitions (including
/// their quirks: `trim` and `string` print `None` as `"None"`, `default` only replaces undefined values
/// unless asked, `title` starts words after spaces, hyphens and brackets).
enum JinjaFilters {
    /// Every filter this engine implements.
    static let names: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "first", "float", "forceescape", "format", "indent", "int", "items", "join", "last", "length", "list",
        "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select",
        "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "wordcount",
    ]

    /// Jinja2 filters that exist but are not implemented here; using one is ``JinjaError/Kind/unsupported(_:)``
    /// rather than ``JinjaError/Kind/unknownFilter(_:)``.
    static let unsupportedJinjaFilters: Set<String> = [
        "filesizeformat", "groupby", "pprint", "random", "slice", "striptags", "urlencode", "urlize", "wordwrap", "xmlattr",
    ]

    static func apply(_ name: String, _ value: JinjaValue, _ args: JinjaCallArguments,
                      interpreter: JinjaInterpreter, at location: JinjaLocation) throws(JinjaError) -> JinjaValue {
        func arg(_ i: Int, _ key: String) -> JinjaValue? { args.value(i, key) }
        func type(_ message: String) -> JinjaError { interpreter.typeError(message, at: location) }
        func undefinedCheck() throws(JinjaError) {
            if value.isUndefined { throw interpreter.undefinedError(value, at: location) }
        }
        // str() of a value, refused when it would exceed the output limit (a shared list can be huge).
        func str(_ v: JinjaValue) throws(JinjaError) -> String {
            try interpreter.checkSize(v.pythonStr(limit: interpreter.options.maximumOutputBytes), at: location)
        }

        switch name {
        case "abs":
            try undefinedCheck()
            switch value {
            case let .int(i):
                guard i != .min else { throw type("integer overflow") }
                return .int(abs(i))
            case let .bool(b): return .int(b ? 1 : 0)
            case let .double(d): return .double(abs(d))
            default: throw type("bad operand type for abs(): '\(value.typeName)'")
            }
        case "attr":
            guard case let .string(attribute)? = arg(0, "name") else { throw type("attr() needs a name") }
            if value.isUndefined { return .undefined("undefined has no attribute '\(attribute)'") }
            return try interpreter.attribute(of: value, attribute, at: location)
        case "batch":
            guard let size = arg(0, "linecount")?.intValue else { throw type("batch() needs an integer size") }
            let fill = arg(1, "fill_with").flatMap { (v: JinjaValue) -> JinjaValue? in
                if case .none = v { return nil }
                return v
            }
            // Jinja checks the length before appending, so a size below 1 yields an empty first batch.
            var batches: [JinjaValue] = []
            var current: [JinjaValue] = []
            for item in try interpreter.iterate(value, at: location) {
                if current.count == size {
                    batches.append(.list(current))
                    current = []
                }
                current.append(item)
            }
            if !current.isEmpty {
                if let fill, current.count < size { current += Array(repeating: fill, count: size - current.count) }
                batches.append(.list(current))
            }
            return .list(batches)
        case "capitalize":
            return .string(PythonCase.capitalize(try str(value)))
        case "center":
            let width = arg(0, "width")?.intValue ?? 80
            let s = try str(value)
            if width > interpreter.options.maximumOutputBytes { throw JinjaError(.outputLimit(interpreter.options.maximumOutputBytes)) }
            let padding = width - s.unicodeScalars.count
            guard padding > 0 else { return .string(s) }
            // Python's str.center puts the odd space on the left when the width is odd.
            let left = padding / 2 + (padding & width & 1)
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: padding - left))
        case "count", "length":
            switch value {
            case let .string(s): return .int(s.unicodeScalars.count)
            case let .list(a), let .tuple(a): return .int(a.count)
            case let .dict(d): return .int(d.count)
            case .undefined: return .int(0)
            case let .namespace(ns): return .int(ns.attributes.count)
            default: throw type("object of type '\(value.typeName)' has no len()")
            }
        case "d", "default":
            let fallback = arg(0, "default_value") ?? .string("")
            let boolean = arg(1, "boolean")?.truthy ?? false
            if value.isUndefined || (boolean && !value.truthy) { return fallback }
            return value
        case "dictsort":
            guard case let .dict(d) = value else { throw type("You can only sort by either \"key\" or \"value\"") }
            let caseSensitive = arg(0, "case_sensitive")?.truthy ?? false
            let byValue: Bool
            switch arg(1, "by") {
            case nil, .string("key")?: byValue = false
            case .string("value")?: byValue = true
            default: throw type("You can only sort by either \"key\" or \"value\"")
            }
            let reverse = arg(2, "reverse")?.truthy ?? false
            var pairs = d.entries.map { (key: $0.key, value: $0.value) }
            var failure: JinjaError?
            pairs.sort { a, b in
                let x = sortKey(byValue ? a.value : .string(a.key), caseSensitive)
                let y = sortKey(byValue ? b.value : .string(b.key), caseSensitive)
                do throws(JinjaError) {
                    let o = try JinjaInterpreter.order(x, y, interpreter: interpreter, at: location)
                    return reverse ? o > 0 : o < 0
                } catch {
                    failure = failure ?? error
                    return false
                }
            }
            if let failure { throw failure }
            return .list(pairs.map { .tuple([.string($0.key), $0.value]) })
        case "e", "escape", "forceescape":
            if value.isUndefined { return .string("") }
            return .string(htmlEscape(try str(value)))
        case "first":
            if case let .string(s) = value { return s.unicodeScalars.first.map { .string(String($0)) } ?? .undefined("No first item, sequence was empty.") }
            return try interpreter.iterate(value, at: location).first ?? .undefined("No first item, sequence was empty.")
        case "last":
            if case let .string(s) = value { return s.unicodeScalars.last.map { .string(String($0)) } ?? .undefined("No last item, sequence was empty.") }
            return try interpreter.iterate(value, at: location).last ?? .undefined("No last item, sequence was empty.")
        case "float":
            let fallback = arg(0, "default") ?? .double(0)
            switch value {
            case let .double(d): return .double(d)
            case .int, .bool: return .double(value.doubleValue ?? 0)
            case let .string(s):
                return Self.pythonFloat(s).map(JinjaValue.double) ?? fallback
            default: return fallback
            }
        case "format":
            let values: JinjaValue = args.keyword.isEmpty ? .tuple(args.positional) : {
                var d = JinjaDict()
                for (k, v) in args.keyword { d[k] = v }
                return .dict(d)
            }()
            return .string(try interpreter.checkSize(try JinjaPercentFormat.format(try str(value), values, interpreter: interpreter, at: location), at: location))
        case "indent":
            let width = arg(0, "width") ?? .int(4)
            let first = arg(1, "first")?.truthy ?? false
            let blank = arg(2, "blank")?.truthy ?? false
            let indentation: String
            if case let .string(w) = width {
                indentation = w
            } else {
                let n = width.intValue ?? 4
                if n > interpreter.options.maximumOutputBytes { throw JinjaError(.outputLimit(interpreter.options.maximumOutputBytes)) }
                indentation = String(repeating: " ", count: max(n, 0))
            }
            let lines = PythonSplit.splitLines(try str(value) + "\n", keepEnds: false)
            var result: String
            if blank {
                result = lines.joined(separator: "\n" + indentation)
            } else {
                result = lines.first ?? ""
                let rest = lines.dropFirst()
                if !rest.isEmpty {
                    result += "\n" + rest.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
                }
            }
            if first { result = indentation + result }
            return .string(try interpreter.checkSize(result, at: location))
        case "int":
            let fallback = arg(0, "default") ?? .int(0)
            let base = arg(1, "base")?.intValue ?? 10
            switch value {
            case let .int(i): return .int(i)
            case let .bool(b): return .int(b ? 1 : 0)
            case let .double(d):
                guard d.isFinite, abs(d) < 9.2e18 else { return fallback }
                return .int(Int(d.rounded(.towardZero)))
            case let .string(s):
                if let i = Self.pythonInt(s, base: base) { return .int(i) }
                if let d = Self.pythonFloat(s), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d.rounded(.towardZero))) }
                return fallback
            case .undefined: throw interpreter.undefinedError(value, at: location)
            default: return fallback
            }
        case "items":
            switch value {
            case .undefined: return .list([])
            case let .dict(d): return .list(d.entries.map { .tuple([.string($0.key), $0.value]) })
            default: throw type("Can only get item pairs from a mapping.")
            }
        case "join":
            let separator = try str(arg(0, "d") ?? .string(""))
            var items = try interpreter.iterate(value, at: location)
            if let attribute = arg(1, "attribute") {
                items = try items.map { (item: JinjaValue) throws(JinjaError) -> JinjaValue in try attributePath(item, attribute, interpreter, location) }
            }
            var parts: [String] = []
            for item in items { parts.append(try str(item)) }
            return .string(try interpreter.checkSize(parts.joined(separator: separator), at: location))
        case "list":
            return .list(try interpreter.iterate(value, at: location))
        case "lower":
            return .string(try str(value).lowercased())
        case "upper":
            return .string(try str(value).uppercased())
        case "map":
            let items = try interpreter.iterate(value, at: location)
            if let attribute = args.keyword.first(where: { $0.0 == "attribute" })?.1 {
                let fallback = args.keyword.first { $0.0 == "default" }?.1
                return .list(try items.map { (item: JinjaValue) throws(JinjaError) -> JinjaValue in
                    let found = try attributePath(item, attribute, interpreter, location)
                    if found.isUndefined, let fallback { return fallback }
                    return found
                })
            }
            guard case let .string(filterName)? = args.positional.first else { throw type("map() needs a filter name or attribute=") }
            guard names.contains(filterName) else { throw JinjaError(.unknownFilter(filterName), line: location.line, column: location.column) }
            let rest = JinjaCallArguments(positional: Array(args.positional.dropFirst()), keyword: args.keyword)
            return .list(try items.map { (item: JinjaValue) throws(JinjaError) -> JinjaValue in
                try apply(filterName, item, rest, interpreter: interpreter, at: location)
            })
        case "max", "min":
            let caseSensitive = arg(0, "case_sensitive")?.truthy ?? false
            let attribute = arg(1, "attribute")
            let items = try interpreter.iterate(value, at: location)
            guard var best = items.first else { return .undefined("No aggregated item, sequence was empty.") }
            for item in items.dropFirst() {
                let a = sortKey(attribute == nil ? item : try attributePath(item, attribute ?? .none, interpreter, location), caseSensitive)
                let b = sortKey(attribute == nil ? best : try attributePath(best, attribute ?? .none, interpreter, location), caseSensitive)
                let o = try JinjaInterpreter.order(a, b, interpreter: interpreter, at: location)
                if name == "max" ? o > 0 : o < 0 { best = item }
            }
            return best
        case "reject", "select", "rejectattr", "selectattr":
            let byAttribute = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var rest = args.positional
            var attribute: JinjaValue?
            if byAttribute {
                guard !rest.isEmpty else { throw type("\(name)() needs an attribute name") }
                attribute = rest.removeFirst()
            }
            var testName: String?
            if !rest.isEmpty {
                guard case let .string(t) = rest.removeFirst() else { throw type("\(name)() needs a test name") }
                guard JinjaTestFunctions.names.contains(t) else { throw JinjaError(.unknownTest(t), line: location.line, column: location.column) }
                testName = t
            }
            let testArguments = JinjaCallArguments(positional: rest, keyword: args.keyword)
            var out: [JinjaValue] = []
            for item in try interpreter.iterate(value, at: location) {
                try interpreter.countIteration(at: location)
                let subject = try attribute.map { (a: JinjaValue) throws(JinjaError) -> JinjaValue in try attributePath(item, a, interpreter, location) } ?? item
                let passed: Bool
                if let testName {
                    passed = try JinjaTestFunctions.apply(testName, subject, testArguments, interpreter: interpreter, at: location)
                } else {
                    passed = subject.truthy
                }
                if passed == keep { out.append(item) }
            }
            return .list(out)
        case "replace":
            let old = try str(arg(0, "old") ?? .string(""))
            let new = try str(arg(1, "new") ?? .string(""))
            let count = arg(2, "count")?.intValue ?? -1
            return .string(try interpreter.checkSize(PythonSplit.replace(try str(value), old, new, count: count), at: location))
        case "reverse":
            if case let .string(s) = value { return .string(PythonText.make(s.unicodeScalars.reversed())) }
            return .list(try interpreter.iterate(value, at: location).reversed())
        case "round":
            try undefinedCheck()
            guard let d = value.doubleValue else { throw type("type \(value.typeName) doesn't define __round__ method") }
            let precision = arg(0, "precision")?.intValue ?? 0
            let method: String
            if case let .string(m)? = arg(1, "method") { method = m } else { method = "common" }
            var scale = 1.0
            for _ in 0 ..< abs(precision) { scale *= 10 }
            if precision < 0 { scale = 1 / scale }
            let rule: FloatingPointRoundingRule
            switch method {
            case "common": rule = .toNearestOrEven
            case "ceil": rule = .up
            case "floor": rule = .down
            default: throw type("method must be 'common', 'ceil' or 'floor'")
            }
            let rounded = (d * scale).rounded(rule) / scale
            // Python's round() keeps an int an int.
            if let i = value.intValue, case .int = value {
                return rounded.isFinite && abs(rounded) < 9.2e18 ? .int(Int(rounded)) : .int(i)
            }
            return .double(rounded)
        case "safe", "string":
            return .string(try str(value))
        case "sort":
            let reverse = arg(0, "reverse")?.truthy ?? false
            let caseSensitive = arg(1, "case_sensitive")?.truthy ?? false
            let attribute = arg(2, "attribute")
            var items = try interpreter.iterate(value, at: location)
            var keys: [JinjaValue] = []
            for item in items {
                keys.append(sortKey(try attribute.map { (a: JinjaValue) throws(JinjaError) -> JinjaValue in try attributePath(item, a, interpreter, location) } ?? item, caseSensitive))
            }
            var failure: JinjaError?
            let order = Array(items.indices).sorted { i, j in
                do throws(JinjaError) {
                    let o = try JinjaInterpreter.order(keys[i], keys[j], interpreter: interpreter, at: location)
                    return o == 0 ? i < j : (reverse ? o > 0 : o < 0)
                } catch {
                    failure = failure ?? error
                    return i < j
                }
            }
            if let failure { throw failure }
            items = order.map { items[$0] }
            return .list(items)
        case "sum":
            let attribute = arg(0, "attribute")
            var total = arg(1, "start") ?? .int(0)
            for item in try interpreter.iterate(value, at: location) {
                let term = try attribute.map { (a: JinjaValue) throws(JinjaError) -> JinjaValue in try attributePath(item, a, interpreter, location) } ?? item
                total = try interpreter.binary("+", total, term, at: location)
            }
            return total
        case "title":
            return .string(jinjaTitle(try str(value)))
        case "tojson":
            return .string(try tojson(value, args, interpreter: interpreter, at: location))
        case "trim":
            let chars: String?
            if case let .string(c)? = arg(0, "chars") { chars = c } else { chars = nil }
            return .string(PythonText.strip(try str(value), chars))
        case "truncate":
            let s = try str(value)
            let length = arg(0, "length")?.intValue ?? 255
            let killWords = arg(1, "killwords")?.truthy ?? false
            let end = try str(arg(2, "end") ?? .string("..."))
            let leeway = arg(3, "leeway")?.intValue ?? 5
            let scalars = Array(s.unicodeScalars)
            if scalars.count <= length + leeway { return .string(s) }
            let keep = PythonText.make(scalars.prefix(max(length - end.unicodeScalars.count, 0)))
            if killWords { return .string(keep + end) }
            return .string((PythonSplit.split(keep, separator: " ", maxSplit: 1, fromRight: true).first ?? "") + end)
        case "unique":
            let caseSensitive = arg(0, "case_sensitive")?.truthy ?? false
            let attribute = arg(1, "attribute")
            var seen: [JinjaValue] = []
            var out: [JinjaValue] = []
            for item in try interpreter.iterate(value, at: location) {
                let key = sortKey(try attribute.map { (a: JinjaValue) throws(JinjaError) -> JinjaValue in try attributePath(item, a, interpreter, location) } ?? item, caseSensitive)
                if !seen.contains(where: { JinjaInterpreter.equal($0, key) }) {
                    seen.append(key)
                    out.append(item)
                }
            }
            return .list(out)
        case "wordcount":
            var count = 0
            var inWord = false
            for c in try str(value).unicodeScalars {
                let isWord = c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
                if isWord, !inWord { count += 1 }
                inWord = isWord
            }
            return .int(count)
        default:
            throw JinjaError(.unknownFilter(name), line: location.line, column: location.column)
        }
    }

    /// transformers' `tojson`: `json.dumps(x, ensure_ascii=False, indent=indent, separators=separators,
    /// sort_keys=sort_keys)`.
    static func tojson(_ value: JinjaValue, _ args: JinjaCallArguments, interpreter: JinjaInterpreter, at location: JinjaLocation) throws(JinjaError) -> String {
        var budget = interpreter.options.maximumOutputBytes
        guard let json = value.json(budget: &budget) else {
            if budget < 0 { throw JinjaError(.outputLimit(interpreter.options.maximumOutputBytes), line: location.line, column: location.column) }
            throw interpreter.typeError("Object of type \(value.typeName) is not JSON serializable", at: location)
        }
        var indent: Int?
        if let i = args.value(1, "indent"), case .none = i {} else if let i = args.value(1, "indent") {
            guard let n = i.intValue else { throw interpreter.typeError("indent must be an integer", at: location) }
            indent = n
        }
        let ensureASCII = args.value(0, "ensure_ascii")?.truthy ?? false
        var separators: JSONSeparators?
        if let s = args.value(2, "separators"), let pair = s.sequence {
            guard pair.count == 2, case let .string(item) = pair[0], case let .string(key) = pair[1] else {
                throw interpreter.typeError("separators must be a pair of strings", at: location)
            }
            separators = JSONSeparators(item: item, key: key)
        }
        let sortKeys = args.value(3, "sort_keys")?.truthy ?? false
        let text = json.pythonJSON(indent: indent, separators: separators, ensureASCII: ensureASCII, sortKeys: sortKeys)
        return try interpreter.checkSize(text, at: location)
    }

    /// A dotted attribute path such as `"function.name"` (or an integer index), as the `attribute=`
    /// arguments of Jinja's filters accept.
    private static func attributePath(_ item: JinjaValue, _ path: JinjaValue, _ interpreter: JinjaInterpreter,
                                      _ location: JinjaLocation) throws(JinjaError) -> JinjaValue {
        if let i = path.intValue { return try interpreter.item(of: item, .int(i), at: location) }
        var current = item
        for part in path.pythonStr.split(separator: ".", omittingEmptySubsequences: false) {
            if current.isUndefined { return current }
            current = try interpreter.item(of: current, Int(part).map(JinjaValue.int) ?? .string(String(part)), at: location)
        }
        return current
    }

    private static func sortKey(_ value: JinjaValue, _ caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case let .string(s) = value { return .string(s.lowercased()) }
        return value
    }

    /// Jinja's `title` filter: upper-cases the first letter of each word, where words start after
    /// whitespace, `-`, `(`, `{`, `[` or `<`, and lower-cases the rest.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atStart = true
        for c in s.unicodeScalars {
            let isBoundary = PythonText.isWhitespace(c) || "-({[<".unicodeScalars.contains(c)
            if isBoundary {
                out.unicodeScalars.append(c)
                atStart = true
            } else if atStart {
                out += c.properties.uppercaseMapping
                atStart = false
            } else {
                out += c.properties.lowercaseMapping
            }
        }
        return out
    }

    static func htmlEscape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Python's `int(text, base)`: optional sign, surrounding whitespace and `_` between digits.
    static func pythonInt(_ text: String, base: Int) -> Int? {
        var s = PythonText.strip(text).lowercased()
        var negative = false
        if s.hasPrefix("-") || s.hasPrefix("+") {
            negative = s.hasPrefix("-")
            s.removeFirst()
        }
        var radix = base
        // A 0x/0o/0b prefix is allowed when it matches the base, and chooses it when the base is 0.
        for (prefix, prefixRadix) in [("0x", 16), ("0o", 8), ("0b", 2)] where s.hasPrefix(prefix) && (base == 0 || base == prefixRadix) {
            s.removeFirst(2)
            if s.hasPrefix("_") { s.removeFirst() }
            radix = prefixRadix
        }
        if radix == 0 {
            radix = 10
            if s.count > 1, s.hasPrefix("0"), s.contains(where: { $0 != "0" && $0 != "_" }) { return nil }
        }
        guard (2 ... 36).contains(radix), !s.isEmpty, !s.hasPrefix("_"), !s.hasSuffix("_"), !s.contains("__") else { return nil }
        s = s.replacingOccurrences(of: "_", with: "")
        guard let magnitude = Int(s, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Python's `float(text)`.
    static func pythonFloat(_ text: String) -> Double? {
        let s = PythonText.strip(text).lowercased().replacingOccurrences(of: "_", with: "")
        switch s {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: break
        }
        guard !s.isEmpty, s.allSatisfy({ "0123456789+-.e".contains($0) }) else { return nil }
        return Double(s)
    }
}
