/// Builds the syntax tree from tokens, with Jinja's operator precedence (lowest first): conditional
/// `x if c else y`, `or`, `and`, `not`, comparisons and `in`, `+ -`, `~`, `* / // %`, `**`, unary `- +`,
/// then primaries with `.attr`, `[key]`, calls, and finally `| filter` and `is test`, which bind tightest
/// (so `'a' + b | trim` trims only `b`).
///
/// Like Jinja, unknown filters and tests are reported when the template is parsed, not when (or whether)
/// the code that uses them runs.
struct JinjaParser {
    private let tokens: [JinjaToken]
    private var index = 0
    private var depth = 0
    /// Deeper nesting than this (of blocks or of expressions) is refused, so a hostile template cannot
    /// overflow the stack of the recursive-descent parser.
    static let maximumDepth = 200

    private let stack: StackGuard

    init(tokens: [JinjaToken], stack: StackGuard = .unlimited) {
        self.tokens = tokens
        self.stack = stack
    }

    static func parse(_ source: String, stack: StackGuard = .unlimited) throws(JinjaError) -> [JinjaNode] {
        var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source), stack: stack)
        let (nodes, end) = try parser.parseBody(until: [], opening: nil)
        if let end { throw JinjaError(.syntax("unexpected '\(end.name)'"), line: end.location.line, column: end.location.column) }
        return nodes
    }

    // MARK: Tokens

    private var current: JinjaToken { tokens[min(index, tokens.count - 1)] }

    private func peekKind(_ offset: Int = 1) -> JinjaToken.Kind {
        tokens[min(index + offset, tokens.count - 1)].kind
    }

    private var location: JinjaLocation { JinjaLocation(line: current.line, column: current.column) }

    private mutating func next() -> JinjaToken {
        let token = current
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func fail(_ message: String) -> JinjaError {
        JinjaError(.syntax(message), line: current.line, column: current.column)
    }

    private func isOp(_ op: String) -> Bool {
        if case let .op(o) = current.kind { return o == op }
        return false
    }

    private func isName(_ name: String) -> Bool {
        if case let .name(n) = current.kind { return n == name }
        return false
    }

    private mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        _ = next()
        return true
    }

    private mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        _ = next()
        return true
    }

    private mutating func expectOp(_ op: String) throws(JinjaError) {
        guard skipOp(op) else { throw fail("expected '\(op)', found \(describe(current.kind))") }
    }

    private mutating func expectName() throws(JinjaError) -> String {
        guard case let .name(n) = current.kind else { throw fail("expected a name, found \(describe(current.kind))") }
        _ = next()
        return n
    }

    private mutating func expectBlockEnd() throws(JinjaError) {
        guard case .blockEnd = current.kind else { throw fail("expected end of statement '%}', found \(describe(current.kind))") }
        _ = next()
    }

    private func describe(_ kind: JinjaToken.Kind) -> String {
        switch kind {
        case let .text(t): return "text '\(t.prefix(20))'"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case let .name(n): return "'\(n)'"
        case let .string(s): return "string '\(s.prefix(20))'"
        case let .integer(i): return "'\(i)'"
        case let .float(d): return "'\(d)'"
        case let .op(o): return "'\(o)'"
        case .end: return "end of template"
        }
    }

    private mutating func enter() throws(JinjaError) {
        depth += 1
        if depth > Self.maximumDepth || stack.exceeded() {
            throw JinjaError(.recursionLimit(Self.maximumDepth), line: current.line, column: current.column)
        }
    }

    private mutating func leave() { depth -= 1 }

    // MARK: Statements

    /// An end tag that closed a body: its name (`endif`, `else`, …) and where it was.
    struct EndTag {
        var name: String
        var location: JinjaLocation
    }

    /// Parses nodes until one of `endTags` (consumed up to its name) or the end of the template.
    /// `opening` names the block being parsed, for the unclosed-block error.
    private mutating func parseBody(until endTags: Set<String>, opening: (String, JinjaLocation)?) throws(JinjaError) -> ([JinjaNode], EndTag?) {
        try enter()
        defer { leave() }
        var nodes: [JinjaNode] = []
        while true {
            switch current.kind {
            case .end:
                if let opening {
                    throw JinjaError(.unclosedBlock(opening.0), line: opening.1.line, column: opening.1.column)
                }
                return (nodes, nil)
            case let .text(t):
                _ = next()
                nodes.append(.text(t))
            case .variableBegin:
                let at = location
                _ = next()
                let expr = try parseTupleOrExpression()
                guard case .variableEnd = current.kind else { throw fail("expected '}}', found \(describe(current.kind))") }
                _ = next()
                nodes.append(.output(expr, at))
            case .blockBegin:
                let tagLocation = location
                guard case let .name(tag) = peekKind() else {
                    _ = next()
                    throw fail("expected a statement name, found \(describe(current.kind))")
                }
                if endTags.contains(tag) {
                    _ = next()
                    _ = next()
                    return (nodes, EndTag(name: tag, location: tagLocation))
                }
                _ = next()
                if let node = try parseStatement(tagLocation) { nodes.append(node) }
            default:
                throw fail("unexpected \(describe(current.kind))")
            }
        }
    }

    private mutating func parseStatement(_ at: JinjaLocation) throws(JinjaError) -> JinjaNode? {
        let tag = try expectName()
        switch tag {
        case "if": return try parseIf(at)
        case "for": return try parseFor(at)
        case "set": return try parseSet(at)
        case "macro": return try parseMacro(at)
        case "call": return try parseCall(at)
        case "filter":
            let filters = try parseFilterChain()
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endfilter"], opening: ("filter", at))
            try expectBlockEnd()
            return .filterBlock(filters, body)
        case "with":
            var assignments: [(JinjaTarget, JinjaExpr)] = []
            while case .name = current.kind {
                let target = try parseAssignTarget(allowAttribute: false)
                try expectOp("=")
                assignments.append((target, try parseExpression()))
                if !skipOp(",") { break }
            }
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endwith"], opening: ("with", at))
            try expectBlockEnd()
            return .with(assignments, body, at)
        case "generation":
            // transformers' extension marks assistant text for training masks; it renders its body as is.
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"], opening: ("generation", at))
            try expectBlockEnd()
            return .with([], body, at)
        case "break":
            try expectBlockEnd()
            return .breakLoop(at)
        case "continue":
            try expectBlockEnd()
            return .continueLoop(at)
        case "include", "import", "from", "extends", "block", "autoescape", "do", "trans", "pluralize":
            throw JinjaError(.unsupported("the '\(tag)' statement"), line: at.line, column: at.column)
        default:
            if tag.hasPrefix("end") || tag == "else" || tag == "elif" {
                throw JinjaError(.syntax("unexpected '\(tag)'"), line: at.line, column: at.column)
            }
            throw JinjaError(.syntax("unknown tag '\(tag)'"), line: at.line, column: at.column)
        }
    }

    private mutating func parseIf(_ at: JinjaLocation) throws(JinjaError) -> JinjaNode {
        var branches: [(JinjaExpr, [JinjaNode])] = []
        var condition = try parseTupleOrExpression()
        try expectBlockEnd()
        while true {
            let (body, end) = try parseBody(until: ["elif", "else", "endif"], opening: ("if", at))
            branches.append((condition, body))
            switch end?.name {
            case "elif":
                condition = try parseTupleOrExpression()
                try expectBlockEnd()
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try parseBody(until: ["endif"], opening: ("if", at))
                try expectBlockEnd()
                return .ifBlock(branches, otherwise: otherwise)
            default:
                try expectBlockEnd()
                return .ifBlock(branches, otherwise: [])
            }
        }
    }

    private mutating func parseFor(_ at: JinjaLocation) throws(JinjaError) -> JinjaNode {
        let target = try parseAssignTarget(allowAttribute: false)
        guard skipName("in") else { throw fail("expected 'in' in the for loop") }
        let iterable = try parseTupleOrExpression(conditional: false)
        var condition: JinjaExpr?
        if skipName("if") { condition = try parseExpression() }
        if skipName("recursive") {
            throw JinjaError(.unsupported("recursive for loops"), line: at.line, column: at.column)
        }
        try expectBlockEnd()
        let (body, end) = try parseBody(until: ["endfor", "else"], opening: ("for", at))
        var elseBody: [JinjaNode] = []
        if end?.name == "else" {
            try expectBlockEnd()
            (elseBody, _) = try parseBody(until: ["endfor"], opening: ("for", at))
        }
        try expectBlockEnd()
        return .forLoop(JinjaForLoop(target: target, iterable: iterable, condition: condition,
                                     body: body, elseBody: elseBody, location: at))
    }

    private mutating func parseSet(_ at: JinjaLocation) throws(JinjaError) -> JinjaNode {
        let target = try parseAssignTarget(allowAttribute: true)
        if skipOp("=") {
            let value = try parseTupleOrExpression()
            try expectBlockEnd()
            return .set(target, value, at)
        }
        let filters = skipOp("|") ? try parseFilterChain() : []
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endset"], opening: ("set", at))
        try expectBlockEnd()
        return .setBlock(target, filters, body, at)
    }

    private mutating func parseMacro(_ at: JinjaLocation) throws(JinjaError) -> JinjaNode {
        let name = try expectName()
        let parameters = try parseParameters()
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endmacro"], opening: ("macro", at))
        try expectBlockEnd()
        return .macro(JinjaMacro(name: name, parameters: parameters, body: body, location: at))
    }

    private mutating func parseCall(_ at: JinjaLocation) throws(JinjaError) -> JinjaNode {
        let parameters = isOp("(") ? try parseParameters() : []
        let call = try parseExpression()
        guard case .call = call else { throw JinjaError(.syntax("expected a macro call after 'call'"), line: at.line, column: at.column) }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endcall"], opening: ("call", at))
        try expectBlockEnd()
        return .callBlock(call, parameters: parameters, body: body, at)
    }

    /// `(a, b=default, …)` of a macro or call block.
    private mutating func parseParameters() throws(JinjaError) -> [(String, JinjaExpr?)] {
        try expectOp("(")
        var parameters: [(String, JinjaExpr?)] = []
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let name = try expectName()
            let value: JinjaExpr? = skipOp("=") ? try parseExpression() : nil
            parameters.append((name, value))
        }
        try expectOp(")")
        return parameters
    }

    private mutating func parseAssignTarget(allowAttribute: Bool) throws(JinjaError) -> JinjaTarget {
        func one(_ parser: inout JinjaParser) throws(JinjaError) -> JinjaTarget {
            if parser.skipOp("(") {
                var items: [JinjaTarget] = []
                while !parser.isOp(")") {
                    if !items.isEmpty { try parser.expectOp(",") }
                    if parser.isOp(")") { break }
                    items.append(try one(&parser))
                }
                try parser.expectOp(")")
                return .tuple(items)
            }
            let name = try parser.expectName()
            if allowAttribute, parser.skipOp(".") {
                return .attribute(name, try parser.expectName())
            }
            return .name(name)
        }
        let first = try one(&self)
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            guard case .name = current.kind else { break }
            items.append(try one(&self))
        }
        return .tuple(items)
    }

    private mutating func parseFilterChain() throws(JinjaError) -> [JinjaFilterCall] {
        var filters: [JinjaFilterCall] = []
        repeat {
            filters.append(try parseFilterCall())
        } while skipOp("|")
        return filters
    }

    // MARK: Expressions

    /// An expression, or several separated by commas (a tuple without parentheses).
    private mutating func parseTupleOrExpression(conditional: Bool = true) throws(JinjaError) -> JinjaExpr {
        let first = try parseExpression(conditional: conditional)
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if case .blockEnd = current.kind { break }
            if case .variableEnd = current.kind { break }
            if isName("if") { break }
            items.append(try parseExpression(conditional: conditional))
        }
        return .tuple(items)
    }

    private mutating func parseExpression(conditional: Bool = true) throws(JinjaError) -> JinjaExpr {
        try enter()
        defer { leave() }
        var expr = try parseOr()
        guard conditional else { return expr }
        while skipName("if") {
            let condition = try parseOr()
            let otherwise: JinjaExpr? = skipName("else") ? try parseExpression() : nil
            expr = .conditional(then: expr, condition: condition, otherwise: otherwise)
        }
        return expr
    }

    private mutating func parseOr() throws(JinjaError) -> JinjaExpr {
        var left = try parseAnd()
        while skipName("or") { left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws(JinjaError) -> JinjaExpr {
        var left = try parseNot()
        while skipName("and") { left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws(JinjaError) -> JinjaExpr {
        if isName("not") {
            let at = location
            _ = next()
            try enter()
            defer { leave() }
            return .unary("not", try parseNot(), at)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(JinjaError) -> JinjaExpr {
        let at = location
        let left = try parseMath1()
        var operations: [(String, JinjaExpr)] = []
        while true {
            if case let .op(op) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(op) {
                _ = next()
                operations.append((op, try parseMath1()))
            } else if skipName("in") {
                operations.append(("in", try parseMath1()))
            } else if isName("not"), case .name("in") = peekKind() {
                _ = next()
                _ = next()
                operations.append(("notin", try parseMath1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? left : .compare(left, operations, at)
    }

    private mutating func parseMath1() throws(JinjaError) -> JinjaExpr {
        var left = try parseConcat()
        while case let .op(op) = current.kind, op == "+" || op == "-" {
            let at = location
            _ = next()
            left = .binary(op, left, try parseConcat(), at)
        }
        return left
    }

    private mutating func parseConcat() throws(JinjaError) -> JinjaExpr {
        var left = try parseMath2()
        while isOp("~") {
            let at = location
            _ = next()
            left = .binary("~", left, try parseMath2(), at)
        }
        return left
    }

    private mutating func parseMath2() throws(JinjaError) -> JinjaExpr {
        var left = try parsePow()
        while case let .op(op) = current.kind, ["*", "/", "//", "%"].contains(op) {
            let at = location
            _ = next()
            left = .binary(op, left, try parsePow(), at)
        }
        return left
    }

    private mutating func parsePow() throws(JinjaError) -> JinjaExpr {
        var left = try parseUnary(withFilter: true)
        while isOp("**") {
            let at = location
            _ = next()
            left = .binary("**", left, try parseUnary(withFilter: true), at)
        }
        return left
    }

    private mutating func parseUnary(withFilter: Bool) throws(JinjaError) -> JinjaExpr {
        try enter()
        defer { leave() }
        var node: JinjaExpr
        if case let .op(op) = current.kind, op == "-" || op == "+" {
            let at = location
            _ = next()
            node = .unary(op, try parseUnary(withFilter: false), at)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }

    private mutating func parsePrimary() throws(JinjaError) -> JinjaExpr {
        let at = location
        let token = next()
        switch token.kind {
        case let .name(n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n, at)
            }
        case var .string(s):
            // Adjacent string literals concatenate, as in Python.
            while case let .string(more) = current.kind {
                s += more
                _ = next()
            }
            return .literal(.string(s))
        case let .integer(i): return .literal(.int(i))
        case let .float(d): return .literal(.double(d))
        case .op("("):
            if skipOp(")") { return .tuple([]) }
            let first = try parseExpression()
            if skipOp(")") { return first }
            var items = [first]
            while skipOp(",") {
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op("["):
            var items: [JinjaExpr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            try expectOp("}")
            return .dict(pairs)
        default:
            index -= 1
            throw fail("unexpected \(describe(token.kind))")
        }
    }

    private mutating func parsePostfix(_ start: JinjaExpr) throws(JinjaError) -> JinjaExpr {
        var node = start
        while true {
            let at = location
            if skipOp(".") {
                switch next().kind {
                case let .name(n): node = .attribute(node, n, at)
                case let .integer(i): node = .item(node, .literal(.int(i)), at)
                default:
                    index -= 1
                    throw fail("expected an attribute name after '.'")
                }
            } else if skipOp("[") {
                node = try parseSubscript(node, at)
            } else if isOp("(") {
                node = .call(node, try parseCallArguments(), at)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ node: JinjaExpr, _ at: JinjaLocation) throws(JinjaError) -> JinjaExpr {
        var parts: [JinjaExpr?] = [nil]
        var isSlice = false
        if !isOp(":") { parts[0] = try parseExpression() }
        while skipOp(":") {
            isSlice = true
            parts.append(nil)
            if !isOp(":"), !isOp("]") { parts[parts.count - 1] = try parseExpression() }
        }
        try expectOp("]")
        if !isSlice {
            guard let key = parts[0] else { throw fail("empty subscript") }
            return .item(node, key, at)
        }
        guard parts.count <= 3 else { throw fail("too many ':' in a slice") }
        return .slice(node, start: parts[0], stop: parts.count > 1 ? parts[1] : nil, step: parts.count > 2 ? parts[2] : nil, at)
    }

    private mutating func parseCallArguments() throws(JinjaError) -> JinjaArguments {
        try expectOp("(")
        var arguments = JinjaArguments()
        var first = true
        while !isOp(")") {
            if !first { try expectOp(",") }
            first = false
            if isOp(")") { break }
            if isOp("*") || isOp("**") { throw JinjaError(.unsupported("*args and **kwargs in calls"), line: current.line, column: current.column) }
            if case let .name(n) = current.kind, case .op("=") = peekKind() {
                _ = next()
                _ = next()
                arguments.keyword.append((n, try parseExpression()))
            } else {
                if !arguments.keyword.isEmpty { throw fail("positional argument after keyword argument") }
                arguments.positional.append(try parseExpression())
            }
        }
        try expectOp(")")
        return arguments
    }

    private mutating func parseFilterExpression(_ start: JinjaExpr) throws(JinjaError) -> JinjaExpr {
        var node = start
        while true {
            if skipOp("|") {
                node = .filter(node, try parseFilterCall())
            } else if isName("is") {
                node = try parseTest(node)
            } else if isOp("(") {
                let at = location
                node = .call(node, try parseCallArguments(), at)
            } else {
                return node
            }
        }
    }

    private mutating func parseFilterCall() throws(JinjaError) -> JinjaFilterCall {
        let at = location
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        if !JinjaFilters.names.contains(name) {
            if JinjaFilters.unsupportedJinjaFilters.contains(name) {
                throw JinjaError(.unsupported("the '\(name)' filter"), line: at.line, column: at.column)
            }
            throw JinjaError(.unknownFilter(name), line: at.line, column: at.column)
        }
        let arguments = isOp("(") ? try parseCallArguments() : JinjaArguments()
        return JinjaFilterCall(name: name, arguments: arguments, location: at)
    }

    private mutating func parseTest(_ node: JinjaExpr) throws(JinjaError) -> JinjaExpr {
        let at = location
        _ = next() // is
        let negated = skipName("not")
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        guard JinjaTestFunctions.names.contains(name) else {
            throw JinjaError(.unknownTest(name), line: at.line, column: at.column)
        }
        var arguments = JinjaArguments()
        if isOp("(") {
            arguments = try parseCallArguments()
        } else {
            // One bare argument, as in `x is divisibleby 3` or `x is equalto 'y'`.
            var takesBareArgument = false
            switch current.kind {
            case .string, .integer, .float: takesBareArgument = true
            case .op("["), .op("{"): takesBareArgument = true
            case let .name(n): takesBareArgument = !["else", "or", "and", "if", "is", "in", "not"].contains(n)
            default: break
            }
            if takesBareArgument {
                arguments.positional = [try parsePostfix(try parsePrimary())]
            }
        }
        return .test(node, name: name, arguments: arguments, negated: negated, at)
    }
}
