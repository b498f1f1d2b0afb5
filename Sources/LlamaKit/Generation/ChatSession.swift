/// A multi-turn conversation with a model, formatted by the model's chat template.
///
/// Each turn re-renders the whole conversation and the underlying ``Session`` evaluates only the tokens
/// the turn adds (the KV cache keeps the rest).
///
/// With ``tools``, replies are parsed for tool calls (``ToolCallParser``): a reply that calls tools is
/// recorded as an assistant message with ``ChatMessage/toolCalls``, and the results go back with
/// ``reply(to:options:onText:)`` as `tool` (or `ipython`) messages:
///
/// ```swift
/// let chat = try ChatSession(model: model, tools: [weather])
/// var reply = try chat.reply(to: [.user("Weather in Paris?")])
/// while case let .toolCalls(calls, _) = reply.output {
///     let results = calls.map { ChatMessage.tool(result: run($0)) }
///     reply = try chat.reply(to: results)
/// }
/// ```
public final class ChatSession: @unchecked Sendable {
    /// The generation session whose KV cache holds the conversation.
    public let session: Session
    /// The conversation so far, replies included.
    public private(set) var messages: [ChatMessage]
    /// The tools offered to the model in every turn; `nil` for none.
    public var tools: [ChatTool]?
    /// Extra template variables (`date_string`, `builtin_tools`, …) for every turn.
    public var templateVariables: JSONObject
    private let template: any ChatTemplate
    private let parser = ToolCallParser()

    /// One turn's outcome: the raw generation, what it means, and how the model ended it.
    public struct Reply: Sendable, Equatable {
        /// The text, tokens, stop reason and timings.
        public var generation: GenerationResult
        /// The reply as text or tool calls (always `.text` when the session has no tools).
        public var output: ToolCallParseResult
        /// Which end-of-turn token stopped it, if one did (``TurnEnd/endOfMessage`` means the model waits
        /// for a tool result).
        public var end: TurnEnd?
    }

    /// - Parameters:
    ///   - template: The chat format; `nil` uses the model's own (``LanguageModel/chatTemplate``).
    ///   - systemPrompt: replaces the template's default system message when given.
    ///   - tools: Tools the model may call.
    ///   - templateVariables: Extra variables every render passes to the template.
    public init(model: LanguageModel, template: (any ChatTemplate)? = nil, contextLength: Int = 4096,
                systemPrompt: String? = nil, tools: [ChatTool]? = nil, templateVariables: JSONObject = JSONObject()) throws {
        guard let template = template ?? model.chatTemplate else { throw ChatError.noTemplate }
        self.template = template
        self.session = try Session(model: model, contextLength: contextLength)
        self.messages = systemPrompt.map { [ChatMessage(role: "system", content: $0)] } ?? []
        self.tools = tools
        self.templateVariables = templateVariables
    }

    /// The prompt tokens for the conversation plus a new user message.
    public func promptTokens(adding message: ChatMessage) throws -> [Int32] {
        try promptTokens(adding: [message])
    }

    /// The prompt tokens for the conversation plus `added` messages, ending with the assistant's turn.
    public func promptTokens(adding added: [ChatMessage]) throws -> [Int32] {
        let request = ChatTemplateRequest(messages: messages + added, tools: tools, addGenerationPrompt: true,
                                          variables: templateVariables)
        let text = try template.render(request)
        return session.model.tokenizer.encode(text, addBOS: session.model.tokenizer.addsBOSByDefault, parseSpecial: true)
    }

    /// Sends a user message and returns the whole reply (also recorded in ``messages``).
    public func respond(to text: String, options: GenerationOptions = GenerationOptions(),
                        onText: (String) -> Bool = { _ in true }) throws -> GenerationResult {
        try reply(to: [ChatMessage(role: "user", content: text)], options: options, onText: onText).generation
    }

    /// Adds `added` (a user message, or tool results) and generates the assistant's reply. Both are
    /// recorded in ``messages``; a reply with tool calls is recorded with its calls.
    public func reply(to added: [ChatMessage], options: GenerationOptions = GenerationOptions(),
                      onText: (String) -> Bool = { _ in true }) throws -> Reply {
        let prompt = try promptTokens(adding: added)
        let result = try session.generate(prompt: prompt, options: options, onText: onText)
        messages += added
        let output = tools == nil ? ToolCallParseResult.text(result.text) : parser.parse(result.text)
        if case let .toolCalls(calls, content) = output {
            messages.append(.assistant(toolCalls: calls, content: content))
        } else {
            messages.append(ChatMessage(role: "assistant", content: result.text))
        }
        return Reply(generation: result, output: output, end: result.stopReason.turnEnd(in: session.model.tokenizer))
    }

    /// Streams the reply to a user message; the turn is recorded when the stream finishes.
    public func stream(_ text: String, options: GenerationOptions = GenerationOptions()) -> AsyncThrowingStream<GenerationEvent, Error> {
        generationStream { onText in try self.respond(to: text, options: options, onText: onText) }
    }
}

/// Errors of chat formatting.
public enum ChatError: Error, Equatable, CustomStringConvertible {
    case noTemplate

    public var description: String {
        switch self {
        case .noTemplate: return "The model declares no chat template LlamaKit understands; use raw prompts."
        }
    }
}
