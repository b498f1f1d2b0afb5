import Foundation

/// Python's arithmetic, concatenation and comparison rules, which Jinja expressions follow: `/` always
/// gives a float, `//` and `%` round toward negative infinity, `bool` counts as an integer, `+` joins
/// strings or lists but never a string and a number, and `==` between different types is `False`.
extension JinjaInterpreter {
    func unary(_ op: String, _ operand: JinjaValue, at location: JinjaLocation) throws(JinjaError) -> JinjaValue {
        switch op {
        case "not":
            return .bool(!operand.truthy)
        case "-":
            if case .undefined = operand { throw undefinedError(operand, at: location) }
            if case let .double(d) = operand { return .double(-d) }
            if let i = operand.intValue {
                let (negated, overflow) = (0).subtractingReportingOverflow(i)
                if overflow { throw typeError("integer overflow", at: location) }
                return .int(negated)
            }
            throw typeError("bad operand type for unary -: '\(operand.typeName)'", at: location)
        default:
            if case .undefined = operand { throw undefinedError(operand, at: location) }
            if case .double = operand { return operand }
            if let i = operand.intValue { return .int(i) }
            throw typeError("bad operand type for unary +: '\(operand.typeName)'", at: location)
        }
    }

    func binary(_ op: String, _ left: JinjaValue, _ right: JinjaValue, at location: JinjaLocation) throws(JinjaError) -> JinjaValue {
        if op == "~" {
            let limit = options.maximumOutputBytes
            return .string(try checkSize(left.pythonStr(limit: limit) + right.pythonStr(limit: limit), at: location))
        }
        if left.isUndefined { throw undefinedError(left, at: location) }
        if right.isUndefined { throw undefinedError(right, at: location) }
        func unsupported() -> JinjaError {
            if op == "+", case .string = left {
                return typeError("can only concatenate str (not \"\(right.typeName)\") to str", at: location)
            }
            return typeError("unsupported operand type(s) for \(op): '\(left.typeName)' and '\(right.typeName)'", at: location)
        }
        func numeric() throws(JinjaError) -> JinjaValue {
            guard let result = try arithmetic(op, left, right, at: location) else { throw unsupported() }
            return result
        }
        switch op {
        case "+":
            switch (left, right) {
            case let (.string(a), .string(b)): return .string(try checkSize(a + b, at: location))
            case let (.list(a), .list(b)): return .list(try checkCount(a + b, at: location))
            case let (.tuple(a), .tuple(b)): return .tuple(try checkCount(a + b, at: location))
            default: return try numeric()
            }
        case "*":
            if let (text, count) = repetition(left, right) {
                guard text.utf8.count.multipliedReportingOverflow(by: max(count, 0)).overflow == false,
                      text.utf8.count * max(count, 0) <= options.maximumOutputBytes else {
                    throw JinjaError(.outputLimit(options.maximumOutputBytes), line: location.line, column: location.column)
                }
                return .string(String(repeating: text, count: max(count, 0)))
            }
            if let (items, count, isTuple) = listRepetition(left, right) {
                guard items.count.multipliedReportingOverflow(by: max(count, 0)).overflow == false,
                      items.count * max(count, 0) <= options.maximumIterations else {
                    throw JinjaError(.iterationLimit(options.maximumIterations), line: location.line, column: location.column)
                }
                let repeated = Array([[JinjaValue]](repeating: items, count: max(count, 0)).joined())
                return isTuple ? .tuple(repeated) : .list(repeated)
            }
            return try numeric()
        case "%":
            if case let .string(format) = left {
                return .string(try checkSize(try JinjaPercentFormat.format(format, right, interpreter: self, at: location), at: location))
            }
            return try numeric()
        default:
            return try numeric()
        }
    }

    private func checkCount(_ items: [JinjaValue], at location: JinjaLocation) throws(JinjaError) -> [JinjaValue] {
        guard items.count <= options.maximumIterations else {
            throw JinjaError(.iterationLimit(options.maximumIterations), line: location.line, column: location.column)
        }
        return items
    }

    private func repetition(_ a: JinjaValue, _ b: JinjaValue) -> (String, Int)? {
        if case let .string(s) = a, let n = b.intValue { return (s, n) }
        if case let .string(s) = b, let n = a.intValue { return (s, n) }
        return nil
    }

    private func listRepetition(_ a: JinjaValue, _ b: JinjaValue) -> ([JinjaValue], Int, Bool)? {
        switch (a, b) {
        case let (.list(items), _): return b.intValue.map { (items, $0, false) }
        case let (_, .list(items)): return a.intValue.map { (items, $0, false) }
        case let (.tuple(items), _): return b.intValue.map { (items, $0, true) }
        case let (_, .tuple(items)): return a.intValue.map { (items, $0, true) }
        default: return nil
        }
    }

    /// Numeric operators; `nil` when an operand is not a number.
    private func arithmetic(_ op: String, _ left: JinjaValue, _ right: JinjaValue, at location: JinjaLocation) throws(JinjaError) -> JinjaValue? {
        guard let a = left.doubleValue, let b = right.doubleValue else { return nil }
        if let x = left.intValue, let y = right.intValue {
            func checked(_ result: (partialValue: Int, overflow: Bool)) throws(JinjaError) -> JinjaValue {
                if result.overflow { throw typeError("integer overflow", at: location) }
                return .int(result.partialValue)
            }
            switch op {
            case "+": return try checked(x.addingReportingOverflow(y))
            case "-": return try checked(x.subtractingReportingOverflow(y))
            case "*": return try checked(x.multipliedReportingOverflow(by: y))
            case "/":
                if y == 0 { throw typeError("division by zero", at: location) }
                return .double(Double(x) / Double(y))
            case "//":
                if y == 0 { throw typeError("integer division or modulo by zero", at: location) }
                let (q, overflow) = x.dividedReportingOverflow(by: y)
                if overflow { throw typeError("integer overflow", at: location) }
                let r = x - q * y
                return .int(r != 0 && (r < 0) != (y < 0) ? q - 1 : q)
            case "%":
                if y == 0 { throw typeError("integer division or modulo by zero", at: location) }
                let (r, overflow) = x.remainderReportingOverflow(dividingBy: y)
                if overflow { return .int(0) }
                return .int(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            case "**":
                if y < 0 { return .double(Foundation.pow(Double(x), Double(y))) }
                var result = 1
                var base = x
                var exponent = y
                while exponent > 0 {
                    if exponent & 1 == 1 {
                        let (m, o) = result.multipliedReportingOverflow(by: base)
                        if o { throw typeError("integer overflow", at: location) }
                        result = m
                    }
                    exponent >>= 1
                    if exponent > 0 {
                        let (m, o) = base.multipliedReportingOverflow(by: base)
                        if o { throw typeError("integer overflow", at: location) }
                        base = m
                    }
                }
                return .int(result)
            default: return nil
            }
        }
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            if b == 0 { throw typeError("float division by zero", at: location) }
            return .double(a / b)
        case "//":
            if b == 0 { throw typeError("float floor division by zero", at: location) }
            return .double((a / b).rounded(.down))
        case "%":
            if b == 0 { throw typeError("float modulo", at: location) }
            let r = a.truncatingRemainder(dividingBy: b)
            return .double(r != 0 && (r < 0) != (b < 0) ? r + b : r)
        case "**": return .double(Foundation.pow(a, b))
        default: return nil
        }
    }

    func compare(_ op: String, _ left: JinjaValue, _ right: JinjaValue, at location: JinjaLocation) throws(JinjaError) -> Bool {
        switch op {
        case "==": return Self.equal(left, right)
        case "!=": return !Self.equal(left, right)
        case "in": return try contains(right, left, at: location)
        case "notin": return !(try contains(right, left, at: location))
        default:
            let order = try Self.order(left, right, interpreter: self, at: location)
            switch op {
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            default: return order >= 0
            }
        }
    }

    /// Python's `==`.
    static func equal(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(x), .string(y)): return PythonText.equal(x, y)
        case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.dict(x), .dict(y)):
            guard x.count == y.count else { return false }
            return x.entries.allSatisfy { entry in y[entry.key].map { equal(entry.value, $0) } ?? false }
        case let (.namespace(x), .namespace(y)): return x === y
        default:
            if let x = a.intValue, let y = b.intValue { return x == y }
            if let x = a.doubleValue, let y = b.doubleValue { return x == y }
            return false
        }
    }

    /// Python's ordering: numbers with numbers, strings by code point, lists and tuples element-wise.
    static func order(_ a: JinjaValue, _ b: JinjaValue, interpreter: JinjaInterpreter, at location: JinjaLocation?) throws(JinjaError) -> Int {
        if a.isUndefined { throw interpreter.undefinedError(a, at: location) }
        if b.isUndefined { throw interpreter.undefinedError(b, at: location) }
        switch (a, b) {
        case let (.string(x), .string(y)):
            if PythonText.equal(x, y) { return 0 }
            return PythonText.less(x, y) ? -1 : 1
        case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
            for (p, q) in zip(x, y) where !equal(p, q) {
                return try order(p, q, interpreter: interpreter, at: location)
            }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        default:
            if let x = a.intValue, let y = b.intValue { return x == y ? 0 : (x < y ? -1 : 1) }
            if let x = a.doubleValue, let y = b.doubleValue { return x == y ? 0 : (x < y ? -1 : 1) }
            throw interpreter.typeError("'<' not supported between instances of '\(a.typeName)' and '\(b.typeName)'", at: location)
        }
    }

    /// Python's `needle in container`.
    func contains(_ container: JinjaValue, _ needle: JinjaValue, at location: JinjaLocation?) throws(JinjaError) -> Bool {
        switch container {
        case let .string(s):
            guard case let .string(n) = needle else {
                if needle.isUndefined { throw undefinedError(needle, at: location) }
                throw typeError("'in <string>' requires string as left operand, not \(needle.typeName)", at: location)
            }
            return PythonText.contains(s, n)
        case let .list(items), let .tuple(items):
            return items.contains { Self.equal($0, needle) }
        case let .dict(d):
            guard case let .string(key) = needle else { return false }
            return d[key] != nil
        case .undefined:
            return false
        default:
            throw typeError("argument of type '\(container.typeName)' is not iterable", at: location)
        }
    }
}
