/// Turns a conversation into the prompt text a chat model was trained on.
///
/// The rendered text contains control-token texts such as `<|im_start|>`; encode it with
/// `parseSpecial: true` so they become control tokens. Message contents are inserted verbatim, so a
/// message that contains such a text can forge turn markers; callers that pass untrusted text should
/// check or escape it first.
///
/// LlamaKit renders known formats natively (``ChatMLTemplate``); a general Jinja engine can conform later.
public protocol ChatTemplate: Sendable {
    /// Renders `messages`; with `addGenerationPrompt`, ends with the opening of an assistant turn so the
    /// model's continuation is its reply.
    func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws(ChatTemplateError) -> String
}

/// Why a chat template could not be chosen or rendered.
public enum ChatTemplateError: Error, Equatable, CustomStringConvertible {
    /// The model file has no `tokenizer.chat_template`.
    case missingTemplate
    /// The metadata holds something other than a string.
    case wrongTemplateType
    /// The template is not a format LlamaKit recognises.
    case unsupportedTemplate(excerpt: String)

    /// A message for people, saying what to do instead.
    public var description: String {
        switch self {
        case .missingTemplate:
            return "The model has no chat template (tokenizer.chat_template); pass a ChatTemplate such as ChatMLTemplate explicitly."
        case .wrongTemplateType:
            return "The model's tokenizer.chat_template is not a string."
        case let .unsupportedTemplate(excerpt):
            return "The model's chat template is not a format LlamaKit supports yet (supported: ChatML). It begins: \(excerpt)"
        }
    }
}
