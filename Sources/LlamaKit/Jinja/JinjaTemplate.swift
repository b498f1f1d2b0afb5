import Foundation

/// Limits and environment for rendering a ``JinjaTemplate``.
///
/// Templates come from model files, so they are untrusted input: the limits turn runaway loops, huge
/// outputs and unbounded recursion into ``JinjaError``s instead of hangs or crashes.
public struct JinjaRenderOptions: Sendable {
    /// Largest output, and largest string built along the way, in UTF-8 bytes.
    public var maximumOutputBytes: Int
    /// Total loop iterations allowed in one render (all loops together).
    public var maximumIterations: Int
    /// Deepest nesting of macro calls.
    public var maximumCallDepth: Int
    /// The clock `strftime_now` reads.
    public var now: @Sendable () -> Date
    /// The time zone `strftime_now` formats in (Python's `datetime.now()` uses local time).
    public var timeZone: TimeZone

    /// The defaults suit chat templates: 16 MiB of output, a million loop iterations, 64 nested macro
    /// calls, the system clock and time zone.
    public init(maximumOutputBytes: Int = 16 << 20, maximumIterations: Int = 1_000_000, maximumCallDepth: Int = 64,
                now: @escaping @Sendable () -> Date = { Date() }, timeZone: TimeZone = .current) {
        self.maximumOutputBytes = maximumOutputBytes
        self.maximumIterations = maximumIterations
        self.maximumCallDepth = maximumCallDepth
        self.now = now
        self.timeZone = timeZone
    }
}

/// A parsed Jinja template, rendered the way Hugging Face transformers renders chat templates.
///
/// transformers uses Jinja2's `ImmutableSandboxedEnvironment` with `trim_blocks=True`,
/// `lstrip_blocks=True` and the `loopcontrols` extension, replaces the `tojson` filter with
/// `json.dumps(x, ensure_ascii=False, indent=…, separators=…, sort_keys=…)`, and adds the globals
/// `raise_exception`, `strftime_now`, `namespace` and `dict`. This engine implements that environment
/// for the subset of Jinja chat templates use; see `Docs/ChatTemplates.md` for what is and is not covered.
///
/// ```swift
/// let template = try JinjaTemplate("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}")
/// let text = try template.render(["messages": [["role": "user", "content": "Hi"]]])
/// ```
public struct JinjaTemplate: Sendable {
    /// The template text as given.
    public let source: String
    let nodes: [JinjaNode]

    /// Parses `source`. Syntax errors, unclosed blocks and unknown filters or tests are reported here,
    /// with their line and column.
    public init(_ source: String) throws(JinjaError) {
        self.source = source
        self.nodes = try JinjaStack.run { stack throws(JinjaError) in try JinjaParser.parse(source, stack: stack) }
    }

    /// Renders the template with `variables` as its context.
    public func render(_ variables: JSONObject, options: JinjaRenderOptions = JinjaRenderOptions()) throws(JinjaError) -> String {
        let nodes = self.nodes
        return try JinjaStack.run { stack throws(JinjaError) in
            var context: [String: JinjaValue] = [:]
            for (key, value) in variables { context[key] = JinjaValue(value) }
            return try JinjaInterpreter(options: options, stack: stack).render(nodes, context: context)
        }
    }
}
