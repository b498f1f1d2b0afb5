/// The Python methods chat templates call on strings, dicts and lists (`content.strip()`,
/// `message.get('x')`, `tools.items()`, …), as bound callables. Methods that would mutate are not here:
/// the sandbox refuses them (see ``JinjaInterpreter/mutatingMethods``).
enum JinjaMethods {
    static func method(on receiver: JinjaValue, named name: String) -> JinjaValue? {
        let body: ((JinjaCallArguments, JinjaInterpreter) throws(JinjaError) -> JinjaValue)?
        switch receiver {
        case let .string(s): body = stringMethod(s, name)
        case let .dict(d): body = dictMethod(d, name)
        case let .list(items), let .tuple(items): body = sequenceMethod(items, name)
        default: body = nil
        }
        guard let body else { return nil }
        return .callable(JinjaCallable(name: "\(receiver.typeName).\(name)", call: body))
    }

    private static func string(_ v: JinjaValue?, _ what: String, _ interpreter: JinjaInterpreter) throws(JinjaError) -> String? {
        guard let v else { return nil }
        switch v {
        case .none: return nil
        case let .string(s): return s
        default: throw interpreter.typeError("\(what) must be str or None, not \(v.typeName)", at: nil)
        }
    }

    // MARK: str

    private static func stringMethod(_ s: String, _ name: String) -> ((JinjaCallArguments, JinjaInterpreter) throws(JinjaError) -> JinjaValue)? {
        switch name {
        case "strip", "lstrip", "rstrip":
            return { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                let chars = try string(args.value(0, "chars"), "strip arg", interpreter)
                return .string(PythonText.strip(s, chars, leading: name != "rstrip", trailing: name != "lstrip"))
            }
        case "upper": return { _, _ in .string(s.uppercased()) }
        case "lower": return { _, _ in .string(s.lowercased()) }
        case "title": return { _, _ in .string(PythonCase.title(s)) }
        case "capitalize": return { _, _ in .string(PythonCase.capitalize(s)) }
        case "swapcase": return { _, _ in .string(PythonCase.swapcase(s)) }
        case "split", "rsplit":
            return { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                let separator = try string(args.value(0, "sep"), "sep", interpreter)
                let maxSplit = args.value(1, "maxsplit")?.intValue ?? -1
                if separator == "" { throw interpreter.typeError("empty separator", at: nil) }
                let parts = PythonSplit.split(s, separator: separator, maxSplit: maxSplit, fromRight: name == "rsplit")
                return .list(parts.map { .string($0) })
            }
        case "splitlines":
            return { (args: JinjaCallArguments, _: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                .list(PythonSplit.splitLines(s, keepEnds: args.value(0, "keepends")?.truthy ?? false).map { .string($0) })
            }
        case "startswith", "endswith":
            return { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                guard let argument = args.value(0, name == "startswith" ? "prefix" : "suffix") else {
                    throw interpreter.typeError("\(name) takes at least 1 argument", at: nil)
                }
                let candidates: [JinjaValue] = argument.sequence ?? [argument]
                let scalars = Array(s.unicodeScalars)
                for candidate in candidates {
                    guard case let .string(c) = candidate else {
                        throw interpreter.typeError("\(name) first arg must be str or a tuple of str, not \(candidate.typeName)", at: nil)
                    }
                    let affix = Array(c.unicodeScalars)
                    if name == "startswith" ? scalars.starts(with: affix) : scalars.reversed().starts(with: affix.reversed()) {
                        return .bool(true)
                    }
                }
                return .bool(false)
            }
        case "replace":
            return { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                guard case let .string(old)? = args.value(0, "old"), case let .string(new)? = args.value(1, "new") else {
                    throw interpreter.typeError("replace() arguments must be str", at: nil)
                }
                let count = args.value(2, "count")?.intValue ?? -1
                return .string(try interpreter.checkSize(PythonSplit.replace(s, old, new, count: count)))
            }
        case "format":
            return { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                .string(try interpreter.checkSize(try PythonBraceFormat.format(s, args, interpreter: interpreter)))
            }
        case "join":
            return { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                guard let iterable = args.value(0, "iterable") else { throw interpreter.typeError("join() takes exactly one argument", at: nil) }
                var parts: [String] = []
                for item in try interpreter.iterate(iterable, at: nil) {
                    guard case let .string(p) = item else {
                        throw interpreter.typeError("sequence item \(parts.count): expected str instance, \(item.typeName) found", at: nil)
                    }
                    parts.append(p)
                }
                return .string(try interpreter.checkSize(parts.joined(separator: s)))
            }
        case "find", "rfind", "index", "rindex", "count":
            return { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                guard case let .string(sub)? = args.value(0, "sub") else { throw interpreter.typeError("\(name)() argument must be str", at: nil) }
                let haystack = Array(s.unicodeScalars)
                let needle = Array(sub.unicodeScalars)
                if name == "count" {
                    return .int(needle.isEmpty ? haystack.count + 1 : PythonText.occurrences(of: needle, in: haystack).count)
                }
                var found: Int?
                if needle.isEmpty {
                    found = name.hasPrefix("r") ? haystack.count : 0
                } else if haystack.count >= needle.count {
                    let starts = Array(0 ... haystack.count - needle.count)
                    let ordered = name.hasPrefix("r") ? starts.reversed() : starts
                    found = ordered.first { haystack[$0 ..< $0 + needle.count].elementsEqual(needle) }
                }
                if let found { return .int(found) }
                if name.hasSuffix("index") { throw interpreter.typeError("substring not found", at: nil) }
                return .int(-1)
            }
        case "removeprefix", "removesuffix":
            return { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                guard case let .string(affix)? = args.value(0, name == "removeprefix" ? "prefix" : "suffix") else {
                    throw interpreter.typeError("\(name)() argument must be str", at: nil)
                }
                let scalars = Array(s.unicodeScalars)
                let a = Array(affix.unicodeScalars)
                if name == "removeprefix", scalars.starts(with: a) { return .string(PythonText.make(scalars.dropFirst(a.count))) }
                if name == "removesuffix", !a.isEmpty, scalars.reversed().starts(with: a.reversed()) {
                    return .string(PythonText.make(scalars.dropLast(a.count)))
                }
                return .string(s)
            }
        case "isdigit", "isnumeric", "isdecimal":
            return { _, _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType != nil }) }
        case "isalpha": return { _, _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic }) }
        case "isalnum":
            return { _, _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil }) }
        case "isspace": return { _, _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(PythonText.isWhitespace)) }
        case "isupper": return { _, _ in .bool(PythonCase.isUpper(s)) }
        case "islower": return { _, _ in .bool(PythonCase.isLower(s)) }
        default: return nil
        }
    }

    // MARK: dict

    private static func dictMethod(_ d: JinjaDict, _ name: String) -> ((JinjaCallArguments, JinjaInterpreter) throws(JinjaError) -> JinjaValue)? {
        switch name {
        case "get":
            return { (args: JinjaCallArguments, _: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                let fallback = args.value(1, "default") ?? .none
                guard case let .string(key)? = args.value(0, "key") else { return fallback }
                return d[key] ?? fallback
            }
        case "keys": return { _, _ in .list(d.keys.map { .string($0) }) }
        case "values": return { _, _ in .list(d.values) }
        case "items": return { _, _ in .list(d.entries.map { .tuple([.string($0.key), $0.value]) }) }
        case "copy": return { _, _ in .dict(d) }
        default: return nil
        }
    }

    // MARK: list and tuple

    private static func sequenceMethod(_ items: [JinjaValue], _ name: String) -> ((JinjaCallArguments, JinjaInterpreter) throws(JinjaError) -> JinjaValue)? {
        switch name {
        case "index":
            return { (args: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                guard let needle = args.value(0, "value"), let i = items.firstIndex(where: { JinjaInterpreter.equal($0, needle) }) else {
                    throw interpreter.typeError("value is not in list", at: nil)
                }
                return .int(i)
            }
        case "count":
            return { (args: JinjaCallArguments, _: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                guard let needle = args.value(0, "value") else { return .int(0) }
                return .int(items.filter { JinjaInterpreter.equal($0, needle) }.count)
            }
        default: return nil
        }
    }
}
