/// A multi-turn conversation with a model, formatted by the model's chat template.
///
/// Each turn re-renders the whole conversation and the underlying ``Session`` evaluates only the tokens
/// the turn adds (the KV cache keeps the rest).
public final class ChatSession: @unchecked Sendable {
    public let session: Session
    public private(set) var messages: [ChatMessage]
    private let template: any ChatTemplate

    /// - Parameter systemPrompt: replaces the template's default system message when given.
    public init(model: LanguageModel, contextLength: Int = 4096, systemPrompt: String? = nil) throws {
        guard let template = model.chatTemplate else { throw ChatError.noTemplate }
        self.template = template
        self.session = try Session(model: model, contextLength: contextLength)
        self.messages = systemPrompt.map { [ChatMessage(role: "system", content: $0)] } ?? []
    }

    /// The prompt tokens for the conversation plus a new user message.
    public func promptTokens(adding message: ChatMessage) throws -> [Int32] {
        let text = try template.render(messages + [message], addGenerationPrompt: true)
        return session.model.tokenizer.encode(text, addBOS: session.model.tokenizer.addsBOSByDefault, parseSpecial: true)
    }

    /// Sends a user message and returns the whole reply (also recorded in ``messages``).
    public func respond(to text: String, options: GenerationOptions = GenerationOptions(),
                        onText: (String) -> Bool = { _ in true }) throws -> GenerationResult {
        let user = ChatMessage(role: "user", content: text)
        let prompt = try promptTokens(adding: user)
        let result = try session.generate(prompt: prompt, options: options, onText: onText)
        messages.append(user)
        messages.append(ChatMessage(role: "assistant", content: result.text))
        return result
    }

    /// Streams the reply to a user message; the turn is recorded when the stream finishes.
    public func stream(_ text: String, options: GenerationOptions = GenerationOptions()) -> AsyncThrowingStream<GenerationEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task.detached {
                do {
                    let result = try self.respond(to: text, options: options) { piece in
                        continuation.yield(.text(piece))
                        return !Task.isCancelled
                    }
                    continuation.yield(.finished(result))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
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
