/// One message of a conversation.
public struct ChatMessage: Sendable, Codable, Equatable, Hashable {
    /// Who speaks: usually `"system"`, `"user"` or `"assistant"`. Templates may accept other roles.
    public var role: String
    /// What they say.
    public var content: String

    /// A message from `role` saying `content`.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// A system message: instructions the model follows for the whole conversation.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    /// An assistant message: an earlier reply of the model.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}
