import Foundation

/// The Llama 3.1 / 3.2 Instruct prompt format, written out natively. It produces byte for byte what
/// the official Jinja templates (the `chat_template` of meta-llama/Llama-3.1-8B-Instruct and
/// Llama-3.2-3B-Instruct) produce under transformers, including their quirks:
///
/// - A system header always comes first, with "Cutting Knowledge Date: December 2023" and
///   "Today Date: …" (`date_string`, default "26 Jul 2024" for 3.1 and today's date for 3.2), and
///   "Environment: ipython" when tools (or, in 3.1, `builtin_tools`) are given.
/// - Custom tools go into the first user message (`tools_in_user_message`, default true) or the system
///   message, each printed with `tojson(indent=4)`.
/// - An assistant tool call becomes `{"name": "…", "parameters": {…}}`; in 3.1 a call of a built-in tool
///   becomes `<|python_tag|>brave_search.call(query="…")` and ends with `<|eom_id|>`.
/// - `tool`/`ipython` results go under an `ipython` header; a string result is JSON-quoted (the
///   template tests `content is iterable`, which a string is).
/// - Message texts are stripped of surrounding whitespace (Python's `str.strip`).
///
/// Request variables it reads, as the Jinja template does: `date_string`, `tools_in_user_message`,
/// `builtin_tools` (3.1), `custom_tools` (replaces the tools) and `bos_token` (replaces ``bosToken``).
public struct Llama3ChatTemplate: ChatTemplate {
    /// Which official template to reproduce.
    public enum Version: String, Sendable {
        /// meta-llama/Llama-3.1-8B-Instruct (also 3.3): built-in tools, `<|eom_id|>` after built-in calls.
        case llama3_1
        /// meta-llama/Llama-3.2-1B/3B-Instruct: no built-in tools; today's date by default.
        case llama3_2
    }

    /// The template reproduced.
    public var version: Version
    /// The text printed first (transformers passes the tokenizer's BOS token).
    public var bosToken: String
    /// Where Llama 3.2's default date comes from (`strftime_now("%d %b %Y")`).
    public var now: @Sendable () -> Date
    /// The time zone of that date.
    public var timeZone: TimeZone

    /// A formatter for `version`; `now` and `timeZone` only matter for Llama 3.2's default date.
    public init(version: Version = .llama3_1, bosToken: String = "<|begin_of_text|>",
                now: @escaping @Sendable () -> Date = { Date() }, timeZone: TimeZone = .current) {
        self.version = version
        self.bosToken = bosToken
        self.now = now
        self.timeZone = timeZone
    }

    static let toolInstructions = "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n"

    /// Renders `request` as the official template does; refusals of the template are
    /// ``ChatTemplateError/raised(_:)`` with its message, type errors ``ChatTemplateError/invalidMessage(_:)``.
    public func render(_ request: ChatTemplateRequest) throws(ChatTemplateError) -> String {
        let variables = request.variables
        // Template variables, with the Jinja template's defaults.
        var tools: JSONValue = request.tools.map { .array($0.map(\.json)) } ?? .null
        if let custom = variables["custom_tools"] { tools = custom }
        let toolsInUserMessage = variables["tools_in_user_message"].map { JinjaValue($0).truthy } ?? true
        let builtinTools = version == .llama3_1 ? variables["builtin_tools"] : nil
        let dateString: String
        switch variables["date_string"] {
        case nil:
            dateString = version == .llama3_1 ? "26 Jul 2024" : Strftime.format("%d %b %Y", date: now(), timeZone: timeZone)
        case let .string(s)?:
            dateString = s
        case let other?:
            throw .invalidMessage("date_string must be a string, not \(JinjaValue(other).typeName)")
        }
        let bos = variables["bos_token"].map { JinjaValue($0).pythonStr } ?? bosToken
        let hasTools = tools != .null

        var messages = request.messages
        guard let first = messages.first else {
            throw .invalidMessage("the Llama 3 template needs at least one message")
        }
        var systemMessage = ""
        if first.role == "system" {
            systemMessage = Self.trimmed(first)
            messages.removeFirst()
        }

        var out = bos
        out += "<|start_header_id|>system<|end_header_id|>\n\n"
        if builtinTools != nil || hasTools { out += "Environment: ipython\n" }
        if let builtinTools {
            let names = try Self.iterate(builtinTools, "builtin_tools")
                .filter { $0 != .string("code_interpreter") }
                .map { JinjaValue($0).pythonStr }
            out += "Tools: " + names.joined(separator: ", ") + "\n\n"
        }
        out += "Cutting Knowledge Date: December 2023\n"
        out += "Today Date: " + dateString + "\n\n"
        if hasTools, !toolsInUserMessage {
            out += "You have access to the following functions. To call a function, please respond with JSON for a function call."
            out += Self.toolInstructions
            for tool in try Self.iterate(tools, "tools") { out += tool.pythonJSON(indent: 4) + "\n\n" }
        }
        out += systemMessage
        out += "<|eot_id|>"

        if toolsInUserMessage, hasTools {
            guard let firstUser = messages.first else {
                throw .raised("Cannot put tools in the first user message when there's no first user message!")
            }
            messages.removeFirst()
            out += "<|start_header_id|>user<|end_header_id|>\n\n"
            out += "Given the following functions, please respond with a JSON for a function call "
            out += "with its proper arguments that best answers the given prompt.\n\n"
            out += Self.toolInstructions
            for tool in try Self.iterate(tools, "tools") { out += tool.pythonJSON(indent: 4) + "\n\n" }
            out += Self.trimmed(firstUser) + "<|eot_id|>"
        }

        for message in messages {
            let isToolResult = message.role == "ipython" || message.role == "tool"
            if !(isToolResult || message.toolCalls != nil) {
                out += "<|start_header_id|>" + message.role + "<|end_header_id|>\n\n" + Self.trimmed(message) + "<|eot_id|>"
            } else if let calls = message.toolCalls {
                guard calls.count == 1, let call = calls.first else {
                    throw .raised("This model only supports single tool-calls at once!")
                }
                out += "<|start_header_id|>assistant<|end_header_id|>\n\n"
                if let builtinTools, try Self.contains(builtinTools, call.name) {
                    out += try Self.builtinCall(call)
                } else {
                    out += "{\"name\": \"" + call.name + "\", \"parameters\": " + call.arguments.pythonJSON() + "}"
                }
                out += builtinTools != nil ? "<|eom_id|>" : "<|eot_id|>"
            } else {
                out += "<|start_header_id|>ipython<|end_header_id|>\n\n"
                switch message.contentValue {
                case .object, .array, .string: out += message.contentValue.pythonJSON()
                case let other: out += JinjaValue(other).pythonStr
                }
                out += "<|eot_id|>"
            }
        }
        if request.addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        return out
    }

    /// `message['content'] | trim`: Python's `str(content).strip()`.
    private static func trimmed(_ message: ChatMessage) -> String {
        PythonText.strip(JinjaValue(message.contentValue).pythonStr)
    }

    /// `brave_search.call(query="…")`: each argument as `name="value"`, which the template builds with
    /// string concatenation, so a non-string value is an error there too.
    private static func builtinCall(_ call: ToolCall) throws(ChatTemplateError) -> String {
        guard let arguments = call.arguments.objectValue else {
            throw .invalidMessage("the arguments of built-in tool call '\(call.name)' must be an object")
        }
        var parts: [String] = []
        for (name, value) in arguments {
            guard let text = value.stringValue else {
                throw .invalidMessage("argument '\(name)' of built-in tool call '\(call.name)' must be a string")
            }
            parts.append(name + "=\"" + text + "\"")
        }
        return "<|python_tag|>" + call.name + ".call(" + parts.joined(separator: ", ") + ")"
    }

    /// What a Jinja `for` loop walks: list elements, object keys, string characters.
    private static func iterate(_ value: JSONValue, _ what: String) throws(ChatTemplateError) -> [JSONValue] {
        switch value {
        case let .array(items): return items
        case let .object(o): return o.keys.map { .string($0) }
        case let .string(s): return s.unicodeScalars.map { .string(String($0)) }
        default: throw .invalidMessage("\(what) must be a list, not \(JinjaValue(value).typeName)")
        }
    }

    /// Jinja's `name in builtin_tools`.
    private static func contains(_ container: JSONValue, _ name: String) throws(ChatTemplateError) -> Bool {
        switch container {
        case let .array(items): return items.contains(.string(name))
        case let .object(o): return o[name] != nil
        case let .string(s): return PythonText.contains(s, name)
        default: throw .invalidMessage("builtin_tools must be a list, not \(JinjaValue(container).typeName)")
        }
    }
}
