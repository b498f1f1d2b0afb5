/// A loaded model ready for text: the network, its tokenizer and its chat template.
///
/// Immutable and `Sendable`: load once, then open as many ``Session``s or ``ChatSession``s as you like.
public final class LanguageModel: Sendable {
    public let network: LlamaModel
    public let tokenizer: any Tokenizer
    /// The chat format the model declares, if LlamaKit understands it.
    public let chatTemplate: (any ChatTemplate)?
    /// Where the model was loaded from.
    public let path: String

    public init(network: LlamaModel, tokenizer: any Tokenizer, chatTemplate: (any ChatTemplate)?, path: String) {
        self.network = network
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.path = path
    }

    /// Loads a GGUF model file onto `backend`: weights, tokenizer and chat template.
    ///
    /// - Parameter progress: called as weights are handed to the backend, with (bytes done, bytes total);
    ///   a GPU backend uploads here, the CPU backend maps and asks the kernel to read ahead.
    public static func load(path: String, backend: any Backend,
                            progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> LanguageModel {
        if CheckpointModel.isFolder(path) { return try loadFolder(path, backend: backend, progress: progress) }
        let gguf = try GGUFFile(path: path)
        let network = try LlamaModel(gguf: gguf, backend: backend, progress: progress)
        let tokenizer = try ByteLevelBPETokenizer.load(from: gguf)
        guard tokenizer.vocabularySize <= network.configuration.vocabularySize else {
            throw ModelError.invalidConfiguration("the tokenizer has \(tokenizer.vocabularySize) tokens but the model only \(network.configuration.vocabularySize)")
        }
        let template = try? LlamaKit.chatTemplate(for: gguf)
        return LanguageModel(network: network, tokenizer: tokenizer, chatTemplate: template, path: path)
    }

    /// A Hugging Face or Meta checkpoint folder: weights from the checkpoint, the tokenizer from the folder's
    /// tokenizer.json or tokenizer.model, the chat template from tokenizer_config.json (or chat_template.jinja).
    private static func loadFolder(_ folder: String, backend: any Backend,
                                   progress: ((_ done: Int, _ total: Int) -> Void)?) throws -> LanguageModel {
        let tokenizer: any Tokenizer
        do {
            tokenizer = try loadTokenizer(path: folder)
        } catch {
            throw CheckpointError.missingTokenizer(folder: folder)
        }
        let network = try LlamaModel.load(folder: folder, backend: backend, progress: progress)
        guard tokenizer.vocabularySize <= network.configuration.vocabularySize else {
            throw ModelError.invalidConfiguration("the tokenizer has \(tokenizer.vocabularySize) tokens but the model only \(network.configuration.vocabularySize)")
        }
        // No template, or one LlamaKit cannot render, leaves raw prompts available.
        let templates = try? TokenizerConfigChatTemplates.load(folder: folder)
        let template = templates?.source(withTools: false).flatMap {
            try? LlamaKit.chatTemplate(source: $0, specialTokens: templates?.specialTokens ?? JSONObject())
        }
        return LanguageModel(network: network, tokenizer: tokenizer, chatTemplate: template, path: folder)
    }

    public var configuration: LlamaConfiguration { network.configuration }
}
