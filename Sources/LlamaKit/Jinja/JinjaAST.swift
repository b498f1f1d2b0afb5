/// Where a node came from in the template source, for error messages.
struct JinjaLocation: Sendable, Equatable {
    var line: Int
    var column: Int
}

/// A constant written in the template.
enum JinjaLiteral: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
}

/// An expression: everything inside `{{ }}` and the expression parts of statements.
indirect enum JinjaExpr: Sendable {
    case literal(JinjaLiteral)
    case name(String, JinjaLocation)
    case list([JinjaExpr])
    case tuple([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    /// `value.name` (attribute first, then item, as Jinja's `getattr`).
    case attribute(JinjaExpr, String, JinjaLocation)
    /// `value[key]` (item first, then attribute, as Jinja's `getitem`).
    case item(JinjaExpr, JinjaExpr, JinjaLocation)
    case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?, JinjaLocation)
    case call(JinjaExpr, JinjaArguments, JinjaLocation)
    case filter(JinjaExpr, JinjaFilterCall)
    case test(JinjaExpr, name: String, arguments: JinjaArguments, negated: Bool, JinjaLocation)
    /// `not`, unary `-` and `+`.
    case unary(String, JinjaExpr, JinjaLocation)
    /// `+ - * / // % ** ~`.
    case binary(String, JinjaExpr, JinjaExpr, JinjaLocation)
    case and(JinjaExpr, JinjaExpr)
    case or(JinjaExpr, JinjaExpr)
    /// A comparison chain such as `a < b <= c`; operators are `== != < <= > >= in notin`.
    case compare(JinjaExpr, [(String, JinjaExpr)], JinjaLocation)
    /// `then if condition else otherwise`; a missing `else` yields undefined.
    case conditional(then: JinjaExpr, condition: JinjaExpr, otherwise: JinjaExpr?)
}

/// Positional and keyword arguments of a call, filter or test.
struct JinjaArguments: Sendable {
    var positional: [JinjaExpr] = []
    var keyword: [(String, JinjaExpr)] = []
}

/// One filter application: `| name(arguments)`.
struct JinjaFilterCall: Sendable {
    var name: String
    var arguments: JinjaArguments
    var location: JinjaLocation
}

/// What `set`, `for` and `with` assign to.
indirect enum JinjaTarget: Sendable {
    case name(String)
    case tuple([JinjaTarget])
    /// `namespace.attribute`, the only attribute assignment Jinja allows.
    case attribute(String, String)
}

/// A `{% macro %}` definition.
struct JinjaMacro: Sendable {
    var name: String
    var parameters: [(String, JinjaExpr?)]
    var body: [JinjaNode]
    var location: JinjaLocation
}

/// A `{% for %}` loop.
struct JinjaForLoop: Sendable {
    var target: JinjaTarget
    var iterable: JinjaExpr
    var condition: JinjaExpr?
    var body: [JinjaNode]
    var elseBody: [JinjaNode]
    var location: JinjaLocation
}

/// A statement or piece of output.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr, JinjaLocation)
    case ifBlock([(JinjaExpr, [JinjaNode])], otherwise: [JinjaNode])
    case forLoop(JinjaForLoop)
    case set(JinjaTarget, JinjaExpr, JinjaLocation)
    /// `{% set x | filters %}body{% endset %}`.
    case setBlock(JinjaTarget, [JinjaFilterCall], [JinjaNode], JinjaLocation)
    case macro(JinjaMacro)
    /// `{% call(parameters) macro(args) %}body{% endcall %}`: the body becomes `caller()`.
    case callBlock(JinjaExpr, parameters: [(String, JinjaExpr?)], body: [JinjaNode], JinjaLocation)
    case filterBlock([JinjaFilterCall], [JinjaNode])
    case with([(JinjaTarget, JinjaExpr)], [JinjaNode], JinjaLocation)
    case breakLoop(JinjaLocation)
    case continueLoop(JinjaLocation)
}
