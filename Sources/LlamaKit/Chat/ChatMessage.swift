/// One message of a conversation.
///
/// Besides plain text, a message can carry what tool use needs: the calls an assistant made
/// (``toolCalls``) and, in a `tool` or `ipython` message, the result of a call (``content``, or
/// ``structuredContent`` for a JSON result). Templates see a message in transformers' shape (see
/// ``templateValue``).
public struct ChatMessage: Sendable, Equatable, Hashable {
    /// Who speaks: usually `"system"`, `"user"` or `"assistant"`; `"tool"` (or Llama's `"ipython"`) for
    /// tool results. Templates may accept other roles.
    public var role: String
    /// What they say. For a message with ``structuredContent`` this is that value's JSON text.
    public var content: String
    /// A non-string content, such as a tool result object; templates see it instead of ``content``.
    public var structuredContent: JSONValue?
    /// The tool calls of an assistant message; `nil` for none.
    public var toolCalls: [ToolCall]?
    /// For a tool result: the id of the call it answers, if the template uses ids.
    public var toolCallID: String?
    /// For a tool result: the tool's name, if the template uses it.
    public var name: String?

    /// A message from `role` saying `content`.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// A message with tool-use fields.
    public init(role: String, content: String = "", structuredContent: JSONValue? = nil, toolCalls: [ToolCall]? = nil,
                toolCallID: String? = nil, name: String? = nil) {
        self.role = role
        self.content = structuredContent.map { $0.stringValue ?? $0.pythonJSON() } ?? content
        if let structuredContent, structuredContent.stringValue == nil {
            self.structuredContent = structuredContent
        } else {
            self.structuredContent = nil
        }
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
    }

    /// A system message: instructions the model follows for the whole conversation.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    /// An assistant message: an earlier reply of the model.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
    /// An assistant message that calls tools.
    public static func assistant(toolCalls: [ToolCall], content: String = "") -> ChatMessage {
        ChatMessage(role: "assistant", content: content, toolCalls: toolCalls)
    }
    /// A tool result (role `"tool"`): text, or JSON with `structuredContent`.
    public static func tool(_ content: String, toolCallID: String? = nil, name: String? = nil) -> ChatMessage {
        ChatMessage(role: "tool", content: content, toolCallID: toolCallID, name: name)
    }
    /// A tool result given as JSON (role `"tool"`).
    public static func tool(result: JSONValue, toolCallID: String? = nil, name: String? = nil) -> ChatMessage {
        ChatMessage(role: "tool", structuredContent: result, toolCallID: toolCallID, name: name)
    }

    /// The value a content field holds: ``structuredContent`` if set, else ``content``.
    public var contentValue: JSONValue { structuredContent ?? .string(content) }

    /// The message as templates see it, in transformers' shape: `role`, `content`, and where present
    /// `tool_calls`, `tool_call_id` and `name`. An assistant message with tool calls and no text has no
    /// `content` key (transformers drops keys whose value is `None`, and templates test for them).
    public var templateValue: JSONValue {
        var object = JSONObject()
        object["role"] = .string(role)
        if !(toolCalls != nil && content.isEmpty && structuredContent == nil) {
            object["content"] = contentValue
        }
        if let toolCalls { object["tool_calls"] = .array(toolCalls.map(\.json)) }
        if let toolCallID { object["tool_call_id"] = .string(toolCallID) }
        if let name { object["name"] = .string(name) }
        return .object(object)
    }

    /// Reads a message in transformers' (OpenAI's) shape. A `null` or missing content becomes empty text;
    /// non-string content becomes ``structuredContent``.
    public init(json: JSONValue) throws(ChatTemplateError) {
        guard let object = json.objectValue else { throw .invalidMessage("a message must be a JSON object") }
        guard let role = object["role"]?.stringValue else { throw .invalidMessage("a message needs a string 'role'") }
        var toolCalls: [ToolCall]?
        if let calls = object["tool_calls"], calls != .null {
            guard let array = calls.arrayValue else { throw .invalidMessage("'tool_calls' must be an array") }
            toolCalls = []
            for call in array { toolCalls?.append(try ToolCall(json: call)) }
        }
        let content = object["content"] ?? .null
        let structured: JSONValue? = content == .null || content.stringValue != nil ? Optional.none : Optional.some(content)
        self.init(role: role, content: content.stringValue ?? "", structuredContent: structured,
                  toolCalls: toolCalls, toolCallID: object["tool_call_id"]?.stringValue, name: object["name"]?.stringValue)
    }
}

extension ChatMessage: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(json: try JSONValue(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try templateValue.encode(to: encoder)
    }
}
