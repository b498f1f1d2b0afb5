/// The ChatML format: each message is `<|im_start|>{role}\n{content}<|im_end|>\n`, and the generation
/// prompt is `<|im_start|>assistant\n`. Used by SmolLM, Qwen, Hermes and many others.
///
/// This is the plain format only: tools, tool calls and extra variables are ignored, as a template that
/// never mentions them ignores them (SmolLM2's). A message that only carries tool calls renders with
/// empty text, where such a Jinja template would fail on the missing `content`. For templates with tool support, such as Qwen2.5's,
/// ``chatTemplate(source:specialTokens:)`` returns a ``JinjaChatTemplate`` instead.
public struct ChatMLTemplate: ChatTemplate, Equatable {
    /// The system message inserted when a non-empty conversation does not start with one, as SmolLM's
    /// template does; `nil` inserts nothing.
    public var defaultSystemPrompt: String?

    /// A ChatML template, with an optional default system prompt.
    public init(defaultSystemPrompt: String? = nil) {
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// Renders the messages as ChatML turns, optionally opening an assistant turn at the end.
    public func render(_ request: ChatTemplateRequest) throws(ChatTemplateError) -> String {
        let messages = request.messages
        let addGenerationPrompt = request.addGenerationPrompt
        var out = ""
        // Only inside the message loop, as in the Jinja original: an empty conversation gets no system turn.
        if let defaultSystemPrompt, let first = messages.first, first.role != "system" {
            Self.append(role: "system", content: defaultSystemPrompt, to: &out)
        }
        for message in messages {
            Self.append(role: message.role, content: message.content, to: &out)
        }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    private static func append(role: String, content: String, to out: inout String) {
        out += "<|im_start|>"
        out += role
        out += "\n"
        out += content
        out += "<|im_end|>\n"
    }
}
