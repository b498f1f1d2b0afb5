/// A level of variable scope, as Jinja has them: the template's top level, each iteration of a `for`
/// loop, each macro call, each `with` block. An `if` opens none, so `set` inside an `if` is seen after
/// it, while `set` inside a loop body is forgotten at the end of the iteration (which is why templates
/// use `namespace()`).
///
/// Scopes are objects so that a macro can keep the scope it was defined in and see later top-level
/// `set`s when it is called, as Jinja macros do.
final class JinjaScope {
    var variables: [String: JinjaValue] = [:]
    let parent: JinjaScope?

    init(parent: JinjaScope?) {
        self.parent = parent
    }

    /// The nearest definition of `name`.
    func lookup(_ name: String) -> JinjaValue? {
        var scope: JinjaScope? = self
        while let s = scope {
            if let value = s.variables[name] { return value }
            scope = s.parent
        }
        return nil
    }
}
