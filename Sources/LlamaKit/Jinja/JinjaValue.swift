import Foundation

/// A value while a template runs, modelled on the Python objects Jinja works with: `None`, `bool`,
/// `int`, `float`, `str`, `list`, `tuple`, `dict` (string keys, insertion order), plus Jinja's
/// `Undefined`, namespaces, loop objects and callables.
enum JinjaValue {
    /// Jinja's default `Undefined`, with a hint for the error it raises when misused. `security` marks
    /// the value the sandbox returns for a forbidden attribute such as `list.append`: using it raises a
    /// security error instead.
    case undefined(String, security: Bool = false)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([JinjaValue])
    case tuple([JinjaValue])
    case dict(JinjaDict)
    case namespace(JinjaNamespace)
    case loop(JinjaLoop)
    case callable(JinjaCallable)

    init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case let .bool(b): self = .bool(b)
        case let .int(i): self = .int(i)
        case let .double(d): self = .double(d)
        case let .string(s): self = .string(s)
        case let .array(a): self = .list(a.map(JinjaValue.init))
        case let .object(o):
            var dict = JinjaDict()
            for (key, value) in o { dict[key] = JinjaValue(value) }
            self = .dict(dict)
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .loop: return "LoopContext"
        case .callable: return "function"
        }
    }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(b): return b
        case let .int(i): return i != 0
        case let .double(d): return d != 0
        case let .string(s): return !s.isEmpty
        case let .list(a), let .tuple(a): return !a.isEmpty
        case let .dict(d): return !d.isEmpty
        case .namespace, .loop, .callable: return true
        }
    }

    /// Elements of a list or tuple.
    var sequence: [JinjaValue]? {
        switch self {
        case let .list(a), let .tuple(a): return a
        default: return nil
        }
    }

    /// An `int` (or `bool`, which is one in Python) as a Swift integer.
    var intValue: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Any number as a `Double`.
    var doubleValue: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .bool(b): return b ? 1 : 0
        case let .double(d): return d
        default: return nil
        }
    }

    var isNumber: Bool { doubleValue != nil }

    /// The value as `json.dumps` sees it, or `nil` where Python would raise "not JSON serializable".
    func json() -> JSONValue? {
        var budget = Int.max
        return json(budget: &budget)
    }

    /// ``json()`` that spends one unit of `budget` per value and gives up (leaving it negative) when it
    /// runs out: lists can share storage, so a small template can build a value with billions of nodes.
    func json(budget: inout Int) -> JSONValue? {
        budget -= 1
        guard budget >= 0 else { return nil }
        switch self {
        case .none: return .null
        case let .bool(b): return .bool(b)
        case let .int(i): return .int(i)
        case let .double(d): return .double(d)
        case let .string(s): return .string(s)
        case let .list(a), let .tuple(a):
            var out: [JSONValue] = []
            out.reserveCapacity(Swift.min(a.count, 1 << 16))
            for element in a {
                guard let j = element.json(budget: &budget) else { return nil }
                out.append(j)
            }
            return .array(out)
        case let .dict(d):
            var object = JSONObject()
            for (key, value) in d.entries {
                guard let j = value.json(budget: &budget) else { return nil }
                object[key] = j
            }
            return .object(object)
        case .undefined, .namespace, .loop, .callable:
            return nil
        }
    }

    /// The most text ``pythonStr`` and ``pythonRepr(limit:)`` produce by default; past it they stop
    /// (the output limit then refuses the string).
    static let defaultTextLimit = 64 << 20

    /// Python's `str(value)`: what `{{ value }}` prints. Undefined prints as nothing.
    var pythonStr: String { pythonStr(limit: Self.defaultTextLimit) }

    /// ``pythonStr`` cut off once it exceeds `limit` bytes.
    func pythonStr(limit: Int) -> String {
        switch self {
        case .undefined: return ""
        case let .string(s): return s
        default: return pythonRepr(limit: limit)
        }
    }

    /// Python's `repr(value)`, used for values inside printed lists and dicts; cut off once it exceeds
    /// `limit` bytes. A namespace that contains itself prints as `{...}` inside, as Python's does.
    func pythonRepr(limit: Int = JinjaValue.defaultTextLimit) -> String {
        var out = ""
        var open: [ObjectIdentifier] = []
        writeRepr(into: &out, limit: limit, open: &open)
        return out
    }

    private func writeRepr(into out: inout String, limit: Int, open: inout [ObjectIdentifier]) {
        guard out.utf8.count <= limit else { return }
        switch self {
        case .undefined: return
        case .none: out += "None"
        case let .bool(b): out += b ? "True" : "False"
        case let .int(i): out += String(i)
        case let .double(d): out += PythonFloatFormat.repr(d)
        case let .string(s): out += PythonText.repr(s)
        case let .list(a):
            out += "["
            for (i, element) in a.enumerated() {
                if i > 0 { out += ", " }
                element.writeRepr(into: &out, limit: limit, open: &open)
                if out.utf8.count > limit { return }
            }
            out += "]"
        case let .tuple(a):
            out += "("
            for (i, element) in a.enumerated() {
                if i > 0 { out += ", " }
                element.writeRepr(into: &out, limit: limit, open: &open)
                if out.utf8.count > limit { return }
            }
            out += a.count == 1 ? ",)" : ")"
        case let .dict(d):
            out += "{"
            for (i, entry) in d.entries.enumerated() {
                if i > 0 { out += ", " }
                out += PythonText.repr(entry.key) + ": "
                entry.value.writeRepr(into: &out, limit: limit, open: &open)
                if out.utf8.count > limit { return }
            }
            out += "}"
        case let .namespace(ns):
            let id = ObjectIdentifier(ns)
            if open.contains(id) {
                out += "<Namespace {...}>"
                return
            }
            open.append(id)
            out += "<Namespace "
            JinjaValue.dict(ns.attributes).writeRepr(into: &out, limit: limit, open: &open)
            out += ">"
            open.removeLast()
        case .loop: out += "<LoopContext>"
        case let .callable(c): out += "<function \(c.name)>"
        }
    }
}

/// A Python `dict` with string keys in insertion order.
struct JinjaDict {
    private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var isEmpty: Bool { keys.isEmpty }
    var count: Int { keys.count }
    var entries: [(key: String, value: JinjaValue)] { keys.compactMap { k in storage[k].map { (k, $0) } } }
    var values: [JinjaValue] { keys.compactMap { storage[$0] } }
}

/// `namespace(...)`: the one mutable object templates may change from inside loops.
final class JinjaNamespace {
    var attributes = JinjaDict()
}

/// The `loop` variable of a `for` loop.
final class JinjaLoop {
    let index0: Int
    let length: Int
    let previous: JinjaValue
    let next: JinjaValue

    init(index0: Int, length: Int, previous: JinjaValue, next: JinjaValue) {
        self.index0 = index0
        self.length = length
        self.previous = previous
        self.next = next
    }

    func attribute(_ name: String) -> JinjaValue? {
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(length - index0)
        case "revindex0": return .int(length - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == length - 1)
        case "length": return .int(length)
        case "previtem": return previous
        case "nextitem": return next
        case "depth": return .int(1)
        case "depth0": return .int(0)
        default: return nil
        }
    }
}

/// Arguments of a call, evaluated.
struct JinjaCallArguments {
    var positional: [JinjaValue] = []
    var keyword: [(String, JinjaValue)] = []

    /// The argument at `index`, or named `name`, or `nil`.
    func value(_ index: Int, _ name: String) -> JinjaValue? {
        if index < positional.count { return positional[index] }
        return keyword.first { $0.0 == name }?.1
    }
}

/// A function value: a macro, a global such as `range`, or a bound method such as `"a".upper`.
struct JinjaCallable {
    let name: String
    let call: (JinjaCallArguments, JinjaInterpreter) throws(JinjaError) -> JinjaValue
}
