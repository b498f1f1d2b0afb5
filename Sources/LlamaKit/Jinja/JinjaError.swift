/// Why a Jinja template could not be parsed or rendered. Every failure of the engine is one of these;
/// none of them crashes the process.
public struct JinjaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The template text is not valid Jinja.
        case syntax(String)
        /// A block tag (`if`, `for`, `macro`, …) has no matching end tag.
        case unclosedBlock(String)
        /// A variable or attribute was used in a way Jinja's default `Undefined` refuses (calling it, taking
        /// its attribute or item, doing arithmetic with it). Printing, testing or iterating an undefined
        /// value is not an error, as in Jinja.
        case undefined(String)
        /// A filter that neither Jinja nor transformers defines.
        case unknownFilter(String)
        /// A test (`is …`) that Jinja does not define.
        case unknownTest(String)
        /// A Jinja feature this engine does not implement (for example `include` or the `groupby` filter).
        case unsupported(String)
        /// An operation on values of the wrong type (Python's `TypeError`/`ValueError`).
        case type(String)
        /// The template called `raise_exception(message)`.
        case raised(String)
        /// The template tried something the sandbox forbids, such as `list.append`.
        case security(String)
        /// Loops ran more iterations in total than allowed.
        case iterationLimit(Int)
        /// The output grew past the allowed size (in UTF-8 bytes).
        case outputLimit(Int)
        /// Macro calls or expressions nested deeper than allowed.
        case recursionLimit(Int)
    }

    /// What went wrong.
    public var kind: Kind
    /// 1-based line and column in the template source, where known.
    public var line: Int?
    /// See ``line``.
    public var column: Int?

    /// An error of `kind` at an optional location.
    public init(_ kind: Kind, line: Int? = nil, column: Int? = nil) {
        self.kind = kind
        self.line = line
        self.column = column
    }

    public var description: String {
        let what: String
        switch kind {
        case let .syntax(m): what = "syntax error: \(m)"
        case let .unclosedBlock(tag): what = "unclosed '\(tag)' block: missing 'end\(tag)'"
        case let .undefined(m): what = "undefined: \(m)"
        case let .unknownFilter(name): what = "no filter named '\(name)'"
        case let .unknownTest(name): what = "no test named '\(name)'"
        case let .unsupported(m): what = "not supported: \(m)"
        case let .type(m): what = "type error: \(m)"
        case let .raised(m): what = m
        case let .security(m): what = "sandbox: \(m)"
        case let .iterationLimit(n): what = "loops ran more than \(n) iterations"
        case let .outputLimit(n): what = "output exceeds \(n) bytes"
        case let .recursionLimit(n): what = "nesting deeper than \(n) levels"
        }
        guard let line else { return what }
        if let column { return "\(what) (line \(line), column \(column))" }
        return "\(what) (line \(line))"
    }
}
