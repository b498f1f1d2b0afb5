/// A chat template given as Jinja source (a GGUF `tokenizer.chat_template` or a `tokenizer_config.json`
/// `chat_template`), rendered as transformers' `apply_chat_template(..., tokenize=False)` renders it.
///
/// The template sees `messages`, `tools` (`none` when there are none), `documents` (`none`),
/// `add_generation_prompt`, the special tokens (`bos_token`, `eos_token`, …) and the request's extra
/// variables, which override special tokens of the same name, as transformers' keyword arguments do.
///
/// ```swift
/// let template = try JinjaChatTemplate(source: gguf.metadata["tokenizer.chat_template"]?.string ?? "",
///                                      specialTokens: ["bos_token": "<|begin_of_text|>"])
/// let prompt = try template.render(ChatTemplateRequest(messages: [.user("Hi")], tools: [weather]))
/// ```
public struct JinjaChatTemplate: ChatTemplate {
    /// The parsed template.
    public let template: JinjaTemplate
    /// Special-token texts passed to the template by name, such as `["bos_token": "<s>"]`.
    public var specialTokens: JSONObject
    /// Limits and clock for rendering (the clock feeds `strftime_now`).
    public var options: JinjaRenderOptions

    /// Parses `source`; a template that does not parse throws ``ChatTemplateError/jinja(_:)``.
    public init(source: String, specialTokens: JSONObject = JSONObject(), options: JinjaRenderOptions = JinjaRenderOptions()) throws(ChatTemplateError) {
        do {
            self.template = try JinjaTemplate(source)
        } catch {
            throw .jinja(error)
        }
        self.specialTokens = specialTokens
        self.options = options
    }

    /// Renders `request`, each message in transformers' shape (``ChatMessage/templateValue``).
    public func render(_ request: ChatTemplateRequest) throws(ChatTemplateError) -> String {
        try render(messages: request.messages.map(\.templateValue), tools: request.tools?.map(\.json),
                   addGenerationPrompt: request.addGenerationPrompt, variables: request.variables)
    }

    /// Renders messages and tools given as JSON, exactly as transformers receives them (messages in
    /// OpenAI's shape, any extra keys included). As transformers does, keys whose value is `null` are
    /// dropped from messages, and a reasoning field (`reasoning_content`, `thinking` or `reasoning`) is
    /// copied to both `thinking` and `reasoning_content`.
    public func render(messages: [JSONValue], tools: [JSONValue]?, addGenerationPrompt: Bool,
                       variables: JSONObject = JSONObject()) throws(ChatTemplateError) -> String {
        var context = JSONObject()
        for (key, value) in specialTokens { context[key] = value }
        for (key, value) in variables { context[key] = value }
        context["messages"] = .array(messages.map(Self.normalize))
        context["tools"] = tools.map { .array($0) } ?? .null
        context["documents"] = .null
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        do {
            return try template.render(context, options: options)
        } catch {
            if case let .raised(message) = error.kind { throw .raised(message) }
            throw .jinja(error)
        }
    }

    /// transformers' `_normalize_chat_messages` and `_alias_reasoning_fields`.
    static func normalize(_ message: JSONValue) -> JSONValue {
        guard let object = message.objectValue else { return message }
        var out = JSONObject()
        for (key, value) in object where value != .null { out[key] = value }
        let reasoning = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap { out[$0] }.first
        guard let reasoning else { return .object(out) }
        var aliased = JSONObject()
        aliased["thinking"] = reasoning
        for (key, value) in out { aliased[key] = value }
        aliased["reasoning_content"] = reasoning
        return .object(aliased)
    }
}
