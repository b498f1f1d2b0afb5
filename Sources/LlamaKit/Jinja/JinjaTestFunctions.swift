/// Jinja's tests (`value is defined`, `value is string`, …), with Python's type rules: `bool` is a
/// number, a string is iterable, and an undefined value is iterable but not defined.
enum JinjaTestFunctions {
    static let names: Set<String> = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "==", "escaped", "even", "false", "filter",
        "float", "ge", ">=", "gt", "greaterthan", ">", "in", "integer", "iterable", "le", "<=", "lower", "lt",
        "lessthan", "<", "mapping", "ne", "!=", "none", "number", "odd", "sameas", "sequence", "string", "test",
        "true", "undefined", "upper",
    ]

    static func apply(_ name: String, _ value: JinjaValue, _ args: JinjaCallArguments,
                      interpreter: JinjaInterpreter, at location: JinjaLocation) throws(JinjaError) -> Bool {
        func other() throws(JinjaError) -> JinjaValue {
            guard let v = args.positional.first ?? args.keyword.first?.1 else {
                throw interpreter.typeError("the '\(name)' test needs an argument", at: location)
            }
            return v
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none":
            if case .none = value { return true }
            return false
        case "boolean":
            if case .bool = value { return true }
            return false
        case "true":
            if case .bool(true) = value { return true }
            return false
        case "false":
            if case .bool(false) = value { return true }
            return false
        case "string":
            if case .string = value { return true }
            return false
        case "number":
            return value.isNumber
        case "integer":
            if case .int = value { return true }
            return false
        case "float":
            if case .double = value { return true }
            return false
        case "mapping":
            if case .dict = value { return true }
            return false
        case "iterable":
            switch value {
            case .list, .tuple, .dict, .string, .undefined, .loop: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .list, .tuple, .dict, .string, .undefined: return true
            default: return false
            }
        case "callable":
            switch value {
            case .callable, .undefined: return true
            default: return false
            }
        case "escaped":
            return false
        case "lower":
            return PythonCase.isLower(value.pythonStr)
        case "upper":
            return PythonCase.isUpper(value.pythonStr)
        case "even", "odd":
            guard let i = value.intValue else {
                if value.isUndefined { throw interpreter.undefinedError(value, at: location) }
                throw interpreter.typeError("the '\(name)' test needs an integer, not \(value.typeName)", at: location)
            }
            return (i % 2 == 0) == (name == "even")
        case "divisibleby":
            let divisor = try other()
            let remainder = try interpreter.binary("%", value, divisor, at: location)
            return JinjaInterpreter.equal(remainder, .int(0))
        case "eq", "equalto", "==":
            return JinjaInterpreter.equal(value, try other())
        case "ne", "!=":
            return !JinjaInterpreter.equal(value, try other())
        case "lt", "lessthan", "<":
            return try JinjaInterpreter.order(value, try other(), interpreter: interpreter, at: location) < 0
        case "le", "<=":
            return try JinjaInterpreter.order(value, try other(), interpreter: interpreter, at: location) <= 0
        case "gt", "greaterthan", ">":
            return try JinjaInterpreter.order(value, try other(), interpreter: interpreter, at: location) > 0
        case "ge", ">=":
            return try JinjaInterpreter.order(value, try other(), interpreter: interpreter, at: location) >= 0
        case "in":
            return try interpreter.contains(try other(), value, at: location)
        case "sameas":
            switch (value, try other()) {
            case (.none, .none), (.undefined, .undefined): return true
            case let (.bool(a), .bool(b)): return a == b
            case let (.namespace(a), .namespace(b)): return a === b
            case let (.int(a), .int(b)): return a == b && (-5 ... 256).contains(a)
            default: return false
            }
        case "filter":
            return JinjaFilters.names.contains(value.pythonStr)
        case "test":
            return names.contains(value.pythonStr)
        default:
            throw JinjaError(.unknownTest(name), line: location.line, column: location.column)
        }
    }
}
