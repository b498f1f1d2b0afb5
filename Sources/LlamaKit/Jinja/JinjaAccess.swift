/// `value.name`, `value[key]` and `value[a:b:c]` with Jinja's lookup rules: `.name` tries the Python
/// attribute (a method such as `dict.items`) before the item, `[key]` the item before the attribute, and
/// a miss gives `Undefined` rather than an error. Only using that undefined value fails.
extension JinjaInterpreter {
    /// Methods that would mutate a value; the immutable sandbox transformers uses refuses them.
    static let mutatingMethods: [String: Set<String>] = [
        "list": ["append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"],
        "dict": ["pop", "popitem", "setdefault", "update", "clear"],
    ]

    func attribute(of value: JinjaValue, _ name: String, at location: JinjaLocation) throws(JinjaError) -> JinjaValue {
        switch value {
        case .undefined:
            throw undefinedError(value, at: location)
        case let .dict(d):
            if let method = JinjaMethods.method(on: value, named: name) { return method }
            if Self.mutatingMethods["dict"]?.contains(name) == true { return securityPlaceholder(name, value) }
            return d[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case let .namespace(ns):
            return ns.attributes[name] ?? .undefined("'Namespace object' has no attribute '\(name)'")
        case let .loop(loop):
            if name == "cycle" {
                return .callable(JinjaCallable(name: "cycle") { (arguments: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
                    guard !arguments.positional.isEmpty else { throw interpreter.typeError("no items for cycling given", at: location) }
                    return arguments.positional[loop.index0 % arguments.positional.count]
                })
            }
            return loop.attribute(name) ?? .undefined("'LoopContext object' has no attribute '\(name)'")
        case .list, .tuple:
            if let method = JinjaMethods.method(on: value, named: name) { return method }
            if case .list = value, Self.mutatingMethods["list"]?.contains(name) == true { return securityPlaceholder(name, value) }
            return .undefined("'\(value.typeName) object' has no attribute '\(name)'")
        default:
            if let method = JinjaMethods.method(on: value, named: name) { return method }
            return .undefined("'\(value.typeName) object' has no attribute '\(name)'")
        }
    }

    private func securityPlaceholder(_ name: String, _ value: JinjaValue) -> JinjaValue {
        .undefined("access to attribute '\(name)' of '\(value.typeName)' object is unsafe", security: true)
    }

    func item(of value: JinjaValue, _ key: JinjaValue, at location: JinjaLocation) throws(JinjaError) -> JinjaValue {
        switch value {
        case .undefined:
            throw undefinedError(value, at: location)
        case let .dict(d):
            if case let .string(k) = key {
                if let found = d[k] { return found }
                return try attribute(of: value, k, at: location)
            }
            return .undefined("'dict object' has no item \(key.pythonRepr())")
        case let .list(items), let .tuple(items):
            if let i = key.intValue {
                let index = i < 0 ? items.count + i : i
                guard index >= 0, index < items.count else { return .undefined("\(value.typeName) index out of range") }
                return items[index]
            }
            if case let .string(k) = key { return try attribute(of: value, k, at: location) }
            return .undefined("\(value.typeName) indices must be integers")
        case let .string(s):
            if let i = key.intValue {
                let scalars = Array(s.unicodeScalars)
                let index = i < 0 ? scalars.count + i : i
                guard index >= 0, index < scalars.count else { return .undefined("string index out of range") }
                return .string(String(scalars[index]))
            }
            if case let .string(k) = key { return try attribute(of: value, k, at: location) }
            return .undefined("string indices must be integers")
        default:
            if case let .string(k) = key { return try attribute(of: value, k, at: location) }
            return .undefined("'\(value.typeName)' object is not subscriptable")
        }
    }

    func slice(_ value: JinjaValue, start: JinjaValue, stop: JinjaValue, step: JinjaValue, at location: JinjaLocation) throws(JinjaError) -> JinjaValue {
        if value.isUndefined { throw undefinedError(value, at: location) }
        func bound(_ v: JinjaValue) throws(JinjaError) -> Int? {
            if case .none = v { return nil }
            guard let i = v.intValue else { throw typeError("slice indices must be integers or None", at: location) }
            return i
        }
        let step = try bound(step) ?? 1
        guard step != 0 else { throw typeError("slice step cannot be zero", at: location) }
        func indices(count: Int) throws(JinjaError) -> [Int] {
            let (lower, upper) = step > 0 ? (0, count) : (-1, count - 1)
            func clamp(_ i: Int?, _ fallback: Int) -> Int {
                guard var i else { return fallback }
                if i < 0 { i += count }
                return min(max(i, lower), upper)
            }
            var i = clamp(try bound(start), step > 0 ? lower : upper)
            let end = clamp(try bound(stop), step > 0 ? upper : lower)
            var out: [Int] = []
            while step > 0 ? i < end : i > end {
                out.append(i)
                let (next, overflow) = i.addingReportingOverflow(step)
                if overflow { break }
                i = next
            }
            return out
        }
        switch value {
        case let .list(items): return .list(try indices(count: items.count).map { items[$0] })
        case let .tuple(items): return .tuple(try indices(count: items.count).map { items[$0] })
        case let .string(s):
            let scalars = Array(s.unicodeScalars)
            return .string(PythonText.make(try indices(count: scalars.count).map { scalars[$0] }))
        default:
            throw typeError("'\(value.typeName)' object is not subscriptable", at: location)
        }
    }
}
