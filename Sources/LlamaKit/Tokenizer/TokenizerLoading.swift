/// The tokenizer a GGUF file describes, chosen by its `tokenizer.ggml.model`.
///
/// Only byte-level BPE (`"gpt2"`) is implemented so far; other models throw
/// ``TokenizerError/unsupportedModel(_:supported:)``.
public func loadTokenizer(from gguf: GGUFFile) throws(TokenizerError) -> any Tokenizer {
    try ByteLevelBPETokenizer.load(from: gguf)
}
