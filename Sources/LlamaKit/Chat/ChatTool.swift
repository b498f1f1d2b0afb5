/// A tool (function) the model may call, described by a JSON schema.
///
/// Templates print tools as given, usually with `tojson`, so the JSON this value holds, key order
/// included, is exactly what ends up in the prompt. ``init(name:description:parameters:)`` builds
/// transformers' shape:
///
/// ```swift
/// let weather = ChatTool(
///     name: "get_weather",
///     description: "Current weather for a city",
///     parameters: [
///         "type": "object",
///         "properties": ["city": ["type": "string", "description": "City name"]],
///         "required": ["city"],
///     ])
/// // {"type": "function", "function": {"name": "get_weather", "description": …, "parameters": {…}}}
/// ```
public struct ChatTool: Sendable, Hashable {
    /// The definition templates see.
    public let json: JSONValue

    /// A function tool in transformers' shape: `{"type": "function", "function": {"name",
    /// "description", "parameters"}}`.
    public init(name: String, description: String, parameters: JSONValue = ["type": "object", "properties": [:]]) {
        var function = JSONObject()
        function["name"] = .string(name)
        function["description"] = .string(description)
        function["parameters"] = parameters
        json = ["type": "function", "function": .object(function)]
    }

    /// A tool definition as JSON, kept verbatim: either `{"type": "function", "function": {…}}` or a
    /// bare `{"name": …, …}` object.
    public init(json: JSONValue) throws(ChatTemplateError) {
        guard let object = json.objectValue else { throw .invalidTool("a tool definition must be a JSON object") }
        guard (object["function"]?.objectValue ?? object)["name"]?.stringValue != nil else {
            throw .invalidTool("a tool definition needs a name")
        }
        self.json = json
    }

    private var function: JSONObject { json["function"]?.objectValue ?? json.objectValue ?? JSONObject() }

    /// The function name.
    public var name: String { function["name"]?.stringValue ?? "" }
    /// What the function does, if given.
    public var description: String? { function["description"]?.stringValue }
    /// The JSON schema of the arguments, if given.
    public var parameters: JSONValue? { function["parameters"] }
}
