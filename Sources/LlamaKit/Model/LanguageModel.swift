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
        // Checkpoint folders load for token-id work through CheckpointModel; text needs a tokenizer from
        // the folder's own files, which this loader does not read yet.
        if CheckpointModel.isFolder(path) { throw CheckpointError.missingTokenizer(folder: path) }
        let gguf = try GGUFFile(path: path)
        let network = try LlamaModel(gguf: gguf, backend: backend, progress: progress)
        let tokenizer = try ByteLevelBPETokenizer.load(from: gguf)
        guard tokenizer.vocabularySize <= network.configuration.vocabularySize else {
            throw ModelError.invalidConfiguration("the tokenizer has \(tokenizer.vocabularySize) tokens but the model only \(network.configuration.vocabularySize)")
        }
        let template = try? LlamaKit.chatTemplate(for: gguf)
        return LanguageModel(network: network, tokenizer: tokenizer, chatTemplate: template, path: path)
    }

    public var configuration: LlamaConfiguration { network.configuration }
}
