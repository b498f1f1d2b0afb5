/// A function call the model asked for: a tool name and its arguments.
///
/// In messages it takes the shape transformers and OpenAI use,
/// `{"id": …, "type": "function", "function": {"name": …, "arguments": {…}}}`, which is what chat
/// templates read (`message.tool_calls[0].function.name`).
public struct ToolCall: Sendable, Hashable {
    /// An identifier some templates require (Mistral's are 9 alphanumerics); `nil` omits it.
    public var id: String?
    /// The tool (function) to call, e.g. `"get_weather"` or the built-in `"brave_search"`.
    public var name: String
    /// The arguments, normally a JSON object in the order the model wrote them. A JSON string is kept
    /// as a string (OpenAI's APIs carry arguments as JSON text).
    public var arguments: JSONValue

    /// A call of `name` with `arguments` (an empty object by default).
    public init(id: String? = nil, name: String, arguments: JSONValue = .object(JSONObject())) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// `{"id"?, "type": "function", "function": {"name", "arguments"}}`.
    public var json: JSONValue {
        var function = JSONObject()
        function["name"] = .string(name)
        function["arguments"] = arguments
        var object = JSONObject()
        if let id { object["id"] = .string(id) }
        object["type"] = "function"
        object["function"] = .object(function)
        return .object(object)
    }

    /// Reads either the nested shape above or a flat `{"name", "arguments"}` object.
    public init(json: JSONValue) throws(ChatTemplateError) {
        guard let object = json.objectValue else { throw .invalidMessage("a tool call must be a JSON object") }
        let function = object["function"]?.objectValue ?? object
        guard let name = function["name"]?.stringValue else { throw .invalidMessage("a tool call needs a function name") }
        self.id = object["id"]?.stringValue
        self.name = name
        self.arguments = function["arguments"] ?? function["parameters"] ?? .object(JSONObject())
    }
}

extension ToolCall: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(json: try JSONValue(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
