/// Everything a chat template renders: the conversation, the tools on offer, whether to open the
/// assistant's turn, and extra template variables.
///
/// These are the arguments of transformers' `apply_chat_template(messages, tools=…,
/// add_generation_prompt=…, **kwargs)`.
public struct ChatTemplateRequest: Sendable, Equatable {
    /// The conversation so far.
    public var messages: [ChatMessage]
    /// The tools the model may call; `nil` (not an empty list) means none, which templates test with
    /// `tools is not none` or `if tools`.
    public var tools: [ChatTool]?
    /// End with the opening of an assistant turn, so the model's continuation is its reply.
    public var addGenerationPrompt: Bool
    /// Extra variables, such as Llama 3.1's `date_string`, `builtin_tools` and `tools_in_user_message`.
    /// They override the template's special tokens (`bos_token`, …) when they share a name.
    public var variables: JSONObject

    /// A request; by default with no tools and with the generation prompt.
    public init(messages: [ChatMessage], tools: [ChatTool]? = nil, addGenerationPrompt: Bool = true,
                variables: JSONObject = JSONObject()) {
        self.messages = messages
        self.tools = tools
        self.addGenerationPrompt = addGenerationPrompt
        self.variables = variables
    }
}

/// Turns a conversation into the prompt text a chat model was trained on.
///
/// The rendered text contains control-token texts such as `<|im_start|>`; encode it with
/// `parseSpecial: true` so they become control tokens. Message contents are inserted verbatim, so a
/// message that contains such a text can forge turn markers; callers that pass untrusted text should
/// check or escape it first.
///
/// Implementations: ``JinjaChatTemplate`` renders any Jinja `chat_template`; ``Llama3ChatTemplate`` and
/// ``ChatMLTemplate`` render their formats natively. ``chatTemplate(source:specialTokens:)`` picks one.
public protocol ChatTemplate: Sendable {
    /// Renders `request`.
    func render(_ request: ChatTemplateRequest) throws(ChatTemplateError) -> String
}

extension ChatTemplate {
    /// Renders `messages` with no tools; with `addGenerationPrompt`, ends with the opening of an
    /// assistant turn.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws(ChatTemplateError) -> String {
        try render(ChatTemplateRequest(messages: messages, addGenerationPrompt: addGenerationPrompt))
    }
}

/// Why a chat template could not be chosen or rendered.
public enum ChatTemplateError: Error, Equatable, CustomStringConvertible {
    /// The model file has no `tokenizer.chat_template`.
    case missingTemplate
    /// The metadata holds something other than a string.
    case wrongTemplateType
    /// The template is not a format LlamaKit can render (it does not parse as Jinja).
    case unsupportedTemplate(excerpt: String)
    /// The template refused the conversation with `raise_exception(message)` (for example Llama 3.1's
    /// "This model only supports single tool-calls at once!").
    case raised(String)
    /// The Jinja engine failed to parse or render the template.
    case jinja(JinjaError)
    /// A message cannot be rendered (for example a value the template would have to add to a string).
    case invalidMessage(String)
    /// A tool definition is not usable.
    case invalidTool(String)

    /// A message for people, saying what to do instead.
    public var description: String {
        switch self {
        case .missingTemplate:
            return "The model has no chat template (tokenizer.chat_template); pass a ChatTemplate such as ChatMLTemplate explicitly."
        case .wrongTemplateType:
            return "The model's tokenizer.chat_template is not a string."
        case let .unsupportedTemplate(excerpt):
            return "The model's chat template cannot be used. It begins: \(excerpt)"
        case let .raised(message):
            return "The chat template refused the conversation: \(message)"
        case let .jinja(error):
            return "Chat template error: \(error)"
        case let .invalidMessage(message):
            return "Invalid message: \(message)"
        case let .invalidTool(message):
            return "Invalid tool: \(message)"
        }
    }
}
