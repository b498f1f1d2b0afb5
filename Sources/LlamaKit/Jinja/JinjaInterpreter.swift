/// Runs a parsed template: executes statements, evaluates expressions and collects the output, keeping
/// count of iterations, output size and call depth against ``JinjaRenderOptions``.
final class JinjaInterpreter {
    let options: JinjaRenderOptions
    private var buffers: [String] = [""]
    private var producedBytes = 0
    private var iterations = 0
    private var callDepth = 0
    private(set) var globals: [String: JinjaValue] = [:]
    private let stack: StackGuard

    init(options: JinjaRenderOptions, stack: StackGuard = .unlimited) {
        self.options = options
        self.stack = stack
        self.globals = JinjaGlobals.make()
    }

    /// Refuses to go deeper once the worker thread's stack budget is spent (see ``JinjaStack``).
    private func checkStack(_ location: JinjaLocation?) throws(JinjaError) {
        if stack.exceeded() {
            throw JinjaError(.recursionLimit(options.maximumCallDepth), line: location?.line, column: location?.column)
        }
    }

    /// What a statement asks the enclosing loop to do.
    enum Flow {
        case normal, breakLoop, continueLoop
    }

    func render(_ nodes: [JinjaNode], context: [String: JinjaValue]) throws(JinjaError) -> String {
        let root = JinjaScope(parent: nil)
        root.variables = context
        let flow = try execute(nodes, in: root)
        if flow != .normal { throw JinjaError(.syntax("'break' or 'continue' outside a loop")) }
        return buffers[0]
    }

    // MARK: Output

    private func write(_ text: String) throws(JinjaError) {
        producedBytes += text.utf8.count
        guard producedBytes <= options.maximumOutputBytes else { throw JinjaError(.outputLimit(options.maximumOutputBytes)) }
        buffers[buffers.count - 1] += text
    }

    /// Runs `body` with its output collected separately and returned.
    func capture(_ body: () throws(JinjaError) -> Flow) throws(JinjaError) -> (String, Flow) {
        buffers.append("")
        let flow: Flow
        do {
            flow = try body()
        } catch {
            buffers.removeLast()
            throw error
        }
        return (buffers.removeLast(), flow)
    }

    /// Refuses strings that would exceed the output limit, so a template cannot exhaust memory by doubling
    /// a string in a loop before anything is written.
    func checkSize(_ s: String, at location: JinjaLocation? = nil) throws(JinjaError) -> String {
        if s.utf8.count > options.maximumOutputBytes {
            throw JinjaError(.outputLimit(options.maximumOutputBytes), line: location?.line, column: location?.column)
        }
        return s
    }

    func countIteration(at location: JinjaLocation?) throws(JinjaError) {
        iterations += 1
        if iterations > options.maximumIterations {
            throw JinjaError(.iterationLimit(options.maximumIterations), line: location?.line, column: location?.column)
        }
    }

    // MARK: Statements

    func execute(_ nodes: [JinjaNode], in scope: JinjaScope) throws(JinjaError) -> Flow {
        for node in nodes {
            let flow = try execute(node, in: scope)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ node: JinjaNode, in scope: JinjaScope) throws(JinjaError) -> Flow {
        try checkStack(nil)
        switch node {
        case let .text(text):
            try write(text)
        case let .output(expr, location):
            let value = try evaluate(expr, in: scope)
            try write(try checkSize(try stringify(value, at: location), at: location))
        case let .ifBlock(branches, otherwise):
            for (condition, body) in branches where try evaluate(condition, in: scope).truthy {
                return try execute(body, in: scope)
            }
            return try execute(otherwise, in: scope)
        case let .forLoop(loop):
            return try executeFor(loop, in: scope)
        case let .set(target, expr, location):
            try assign(try evaluate(expr, in: scope), to: target, in: scope, at: location)
        case let .setBlock(target, filters, body, location):
            let (text, _) = try capture { () throws(JinjaError) -> Flow in try execute(body, in: scope) }
            var value = JinjaValue.string(text)
            for filter in filters { value = try applyFilter(filter, to: value, in: scope) }
            try assign(value, to: target, in: scope, at: location)
        case let .macro(macro):
            scope.variables[macro.name] = .callable(makeMacro(macro, definedIn: scope))
        case let .callBlock(callExpr, parameters, body, location):
            guard case let .call(function, arguments, callLocation) = callExpr else { return .normal }
            let caller = makeMacro(JinjaMacro(name: "caller", parameters: parameters, body: body, location: location), definedIn: scope)
            var evaluated = try evaluateArguments(arguments, in: scope)
            evaluated.keyword.append(("caller", .callable(caller)))
            let callee = try evaluate(function, in: scope)
            try write(try stringify(try call(callee, evaluated, at: callLocation), at: location))
        case let .filterBlock(filters, body):
            let (text, flow) = try capture { () throws(JinjaError) -> Flow in try execute(body, in: scope) }
            var value = JinjaValue.string(text)
            for filter in filters { value = try applyFilter(filter, to: value, in: scope) }
            try write(try stringify(value, at: nil))
            return flow
        case let .with(assignments, body, location):
            let inner = JinjaScope(parent: scope)
            for (target, expr) in assignments {
                try assign(try evaluate(expr, in: scope), to: target, in: inner, at: location)
            }
            return try execute(body, in: inner)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    /// `str(value)` as `{{ }}` prints it; a forbidden attribute's placeholder prints as nothing, as in Jinja.
    func stringify(_ value: JinjaValue, at location: JinjaLocation?) throws(JinjaError) -> String {
        try checkSize(value.pythonStr(limit: options.maximumOutputBytes), at: location)
    }

    private func executeFor(_ loop: JinjaForLoop, in scope: JinjaScope) throws(JinjaError) -> Flow {
        let iterable = try evaluate(loop.iterable, in: scope)
        var items = try iterate(iterable, at: loop.location)
        if let condition = loop.condition {
            var kept: [JinjaValue] = []
            for item in items {
                try countIteration(at: loop.location)
                let probe = JinjaScope(parent: scope)
                try assign(item, to: loop.target, in: probe, at: loop.location)
                if try evaluate(condition, in: probe).truthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            return try execute(loop.elseBody, in: scope)
        }
        for (i, item) in items.enumerated() {
            try countIteration(at: loop.location)
            let iterationScope = JinjaScope(parent: scope)
            try assign(item, to: loop.target, in: iterationScope, at: loop.location)
            iterationScope.variables["loop"] = .loop(JinjaLoop(
                index0: i, length: items.count,
                previous: i > 0 ? items[i - 1] : .undefined("there is no previous item"),
                next: i + 1 < items.count ? items[i + 1] : .undefined("there is no next item")))
            let flow = try execute(loop.body, in: iterationScope)
            if flow == .breakLoop { break }
        }
        return .normal
    }

    /// The elements a `for` loop (or a filter) walks: a list's items, a dict's keys, a string's characters.
    func iterate(_ value: JinjaValue, at location: JinjaLocation?) throws(JinjaError) -> [JinjaValue] {
        switch value {
        case let .list(a), let .tuple(a): return a
        case let .dict(d): return d.keys.map { .string($0) }
        case let .string(s): return s.unicodeScalars.map { .string(String($0)) }
        case let .undefined(hint, security):
            if security { throw JinjaError(.security(hint), line: location?.line, column: location?.column) }
            return []
        default:
            throw typeError("'\(value.typeName)' object is not iterable", at: location)
        }
    }

    private func assign(_ value: JinjaValue, to target: JinjaTarget, in scope: JinjaScope, at location: JinjaLocation) throws(JinjaError) {
        switch target {
        case let .name(name):
            scope.variables[name] = value
        case let .tuple(targets):
            let items = try iterate(value, at: location)
            guard items.count == targets.count else {
                throw typeError(items.count > targets.count
                    ? "too many values to unpack (expected \(targets.count))"
                    : "not enough values to unpack (expected \(targets.count), got \(items.count))", at: location)
            }
            for (item, t) in zip(items, targets) { try assign(item, to: t, in: scope, at: location) }
        case let .attribute(name, attribute):
            guard case let .namespace(ns)? = scope.lookup(name) ?? globals[name] else {
                throw typeError("cannot assign attribute on non-namespace object", at: location)
            }
            if attribute.hasPrefix("_") {
                throw JinjaError(.security("cannot store underscore-prefixed attribute '\(attribute)' on a namespace"),
                                 line: location.line, column: location.column)
            }
            ns.attributes[attribute] = value
        }
    }

    // MARK: Macros and calls

    private func makeMacro(_ macro: JinjaMacro, definedIn scope: JinjaScope) -> JinjaCallable {
        JinjaCallable(name: macro.name) { (arguments: JinjaCallArguments, interpreter: JinjaInterpreter) throws(JinjaError) -> JinjaValue in
            let local = JinjaScope(parent: scope)
            var extra: [JinjaValue] = []
            for (i, value) in arguments.positional.enumerated() {
                if i < macro.parameters.count {
                    local.variables[macro.parameters[i].0] = value
                } else {
                    extra.append(value)
                }
            }
            var extraKeywords = JinjaDict()
            for (name, value) in arguments.keyword {
                if name == "caller" || macro.parameters.contains(where: { $0.0 == name }) {
                    local.variables[name] = value
                } else {
                    extraKeywords[name] = value
                }
            }
            for (name, defaultExpr) in macro.parameters where local.variables[name] == nil {
                if let defaultExpr {
                    local.variables[name] = try interpreter.evaluate(defaultExpr, in: local)
                } else {
                    local.variables[name] = .undefined("parameter '\(name)' was not provided")
                }
            }
            local.variables["varargs"] = .tuple(extra)
            local.variables["kwargs"] = .dict(extraKeywords)
            let (text, _) = try interpreter.capture { () throws(JinjaError) -> Flow in
                try interpreter.execute(macro.body, in: local)
            }
            return .string(text)
        }
    }

    func call(_ callee: JinjaValue, _ arguments: JinjaCallArguments, at location: JinjaLocation) throws(JinjaError) -> JinjaValue {
        switch callee {
        case let .callable(function):
            callDepth += 1
            defer { callDepth -= 1 }
            guard callDepth <= options.maximumCallDepth else {
                throw JinjaError(.recursionLimit(options.maximumCallDepth), line: location.line, column: location.column)
            }
            do {
                return try function.call(arguments, self)
            } catch {
                var located = error
                if located.line == nil {
                    located.line = location.line
                    located.column = location.column
                }
                throw located
            }
        case let .undefined(hint, security):
            throw JinjaError(security ? .security(hint) : .undefined(hint), line: location.line, column: location.column)
        default:
            throw typeError("'\(callee.typeName)' object is not callable", at: location)
        }
    }

    func evaluateArguments(_ arguments: JinjaArguments, in scope: JinjaScope) throws(JinjaError) -> JinjaCallArguments {
        var out = JinjaCallArguments()
        for expr in arguments.positional { out.positional.append(try evaluate(expr, in: scope)) }
        for (name, expr) in arguments.keyword { out.keyword.append((name, try evaluate(expr, in: scope))) }
        return out
    }

    // MARK: Expressions

    func evaluate(_ expr: JinjaExpr, in scope: JinjaScope) throws(JinjaError) -> JinjaValue {
        try checkStack(nil)
        switch expr {
        case let .literal(literal):
            switch literal {
            case .none: return .none
            case let .bool(b): return .bool(b)
            case let .int(i): return .int(i)
            case let .double(d): return .double(d)
            case let .string(s): return .string(s)
            }
        case let .name(name, _):
            return scope.lookup(name) ?? globals[name] ?? .undefined("'\(name)' is undefined")
        case let .list(items):
            var out: [JinjaValue] = []
            for item in items { out.append(try evaluate(item, in: scope)) }
            return .list(out)
        case let .tuple(items):
            var out: [JinjaValue] = []
            for item in items { out.append(try evaluate(item, in: scope)) }
            return .tuple(out)
        case let .dict(pairs):
            var dict = JinjaDict()
            for (keyExpr, valueExpr) in pairs {
                let key = try evaluate(keyExpr, in: scope)
                dict[key.pythonStr] = try evaluate(valueExpr, in: scope)
            }
            return .dict(dict)
        case let .attribute(objectExpr, name, location):
            return try attribute(of: try evaluate(objectExpr, in: scope), name, at: location)
        case let .item(objectExpr, keyExpr, location):
            return try item(of: try evaluate(objectExpr, in: scope), try evaluate(keyExpr, in: scope), at: location)
        case let .slice(objectExpr, start, stop, step, location):
            let object = try evaluate(objectExpr, in: scope)
            func bound(_ e: JinjaExpr?) throws(JinjaError) -> JinjaValue {
                guard let e else { return .none }
                return try evaluate(e, in: scope)
            }
            return try slice(object, start: try bound(start), stop: try bound(stop), step: try bound(step), at: location)
        case let .call(function, arguments, location):
            let evaluated = try evaluateArguments(arguments, in: scope)
            if case let .attribute(receiverExpr, name, attributeLocation) = function {
                let receiver = try evaluate(receiverExpr, in: scope)
                let method = try attribute(of: receiver, name, at: attributeLocation)
                return try call(method, evaluated, at: location)
            }
            return try call(try evaluate(function, in: scope), evaluated, at: location)
        case let .filter(valueExpr, filter):
            return try applyFilter(filter, to: try evaluate(valueExpr, in: scope), in: scope)
        case let .test(valueExpr, name, arguments, negated, location):
            let value = try evaluate(valueExpr, in: scope)
            let evaluated = try evaluateArguments(arguments, in: scope)
            let result = try JinjaTestFunctions.apply(name, value, evaluated, interpreter: self, at: location)
            return .bool(result != negated)
        case let .unary(op, operandExpr, location):
            let operand = try evaluate(operandExpr, in: scope)
            return try unary(op, operand, at: location)
        case let .binary(op, leftExpr, rightExpr, location):
            let left = try evaluate(leftExpr, in: scope)
            let right = try evaluate(rightExpr, in: scope)
            return try binary(op, left, right, at: location)
        case let .and(leftExpr, rightExpr):
            let left = try evaluate(leftExpr, in: scope)
            return left.truthy ? try evaluate(rightExpr, in: scope) : left
        case let .or(leftExpr, rightExpr):
            let left = try evaluate(leftExpr, in: scope)
            return left.truthy ? left : try evaluate(rightExpr, in: scope)
        case let .compare(firstExpr, operations, location):
            var left = try evaluate(firstExpr, in: scope)
            for (op, rightExpr) in operations {
                let right = try evaluate(rightExpr, in: scope)
                guard try compare(op, left, right, at: location) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case let .conditional(thenExpr, conditionExpr, otherwiseExpr):
            if try evaluate(conditionExpr, in: scope).truthy { return try evaluate(thenExpr, in: scope) }
            guard let otherwiseExpr else { return .undefined("the conditional expression had no else branch") }
            return try evaluate(otherwiseExpr, in: scope)
        }
    }

    private func applyFilter(_ filter: JinjaFilterCall, to value: JinjaValue, in scope: JinjaScope) throws(JinjaError) -> JinjaValue {
        let arguments = try evaluateArguments(filter.arguments, in: scope)
        do {
            return try JinjaFilters.apply(filter.name, value, arguments, interpreter: self, at: filter.location)
        } catch {
            var located = error
            if located.line == nil {
                located.line = filter.location.line
                located.column = filter.location.column
            }
            throw located
        }
    }

    // MARK: Errors

    func typeError(_ message: String, at location: JinjaLocation?) -> JinjaError {
        JinjaError(.type(message), line: location?.line, column: location?.column)
    }

    /// The error for using an undefined value where Jinja's `Undefined` raises.
    func undefinedError(_ value: JinjaValue, at location: JinjaLocation?) -> JinjaError {
        if case let .undefined(hint, security) = value {
            return JinjaError(security ? .security(hint) : .undefined(hint), line: location?.line, column: location?.column)
        }
        return JinjaError(.undefined("value is undefined"), line: location?.line, column: location?.column)
    }
}
