/// Why a tokenizer could not be built, or could not decode what it was given.
///
/// Every malformed vocabulary and every bad token id ends in one of these, never in a trap: both come from
/// files and callers that LlamaKit does not control.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A required metadata key is absent.
    case missingKey(String)
    /// A metadata key holds a value of the wrong type.
    case wrongKeyType(key: String, expected: String)
    /// `tokenizer.ggml.model` names a tokenizer LlamaKit does not implement.
    case unsupportedModel(String, supported: [String])
    /// `tokenizer.ggml.pre` names a pre-tokenizer LlamaKit does not implement (or is missing).
    case unsupportedPreTokenizer(String, supported: [String])
    /// The vocabulary has no tokens.
    case emptyVocabulary
    /// The vocabulary or merge list has more entries than 32-bit token ids can number.
    case tooLarge(what: String, count: Int)
    /// Two parallel arrays (tokens and token types) disagree in length.
    case lengthMismatch(key: String, expected: Int, found: Int)
    /// A token type number outside the GGUF range 0...6.
    case invalidTokenType(token: Int, type: Int)
    /// A merge rule that is not two non-empty tokens separated by one space.
    case malformedMerge(index: Int, text: String)
    /// A merge rule names a token (or produces a merged token) that is not in the vocabulary.
    case mergeTokenNotInVocabulary(index: Int, token: String)
    /// A special-token id in the metadata (BOS, EOS, ...) is outside the vocabulary.
    case specialTokenOutOfRange(key: String, id: Int, vocabularySize: Int)
    /// A token id passed to a decoding function is outside the vocabulary.
    case tokenOutOfRange(id: Int32, vocabularySize: Int)

    /// A message for people, naming the key, token or id at fault.
    public var description: String {
        switch self {
        case let .missingKey(key):
            return "The tokenizer metadata has no '\(key)'."
        case let .wrongKeyType(key, expected):
            return "Tokenizer metadata '\(key)' should be \(expected)."
        case let .unsupportedModel(name, supported):
            return "Tokenizer model '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))."
        case let .unsupportedPreTokenizer(name, supported):
            return "Pre-tokenizer '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))."
        case .emptyVocabulary:
            return "The tokenizer vocabulary is empty."
        case let .tooLarge(what, count):
            return "The tokenizer \(what) has \(count) entries, more than 32-bit ids allow."
        case let .lengthMismatch(key, expected, found):
            return "Tokenizer metadata '\(key)' has \(found) entries but the vocabulary has \(expected) tokens."
        case let .invalidTokenType(token, type):
            return "Token \(token) has token type \(type); GGUF token types are 0 through 6."
        case let .malformedMerge(index, text):
            return "Merge rule \(index) is \"\(text)\"; expected two tokens separated by one space."
        case let .mergeTokenNotInVocabulary(index, token):
            return "Merge rule \(index) uses the token \"\(token)\", which is not in the vocabulary."
        case let .specialTokenOutOfRange(key, id, size):
            return "Tokenizer metadata '\(key)' is \(id), outside the vocabulary of \(size) tokens."
        case let .tokenOutOfRange(id, size):
            return "Token id \(id) is outside the vocabulary (valid ids are 0..<\(size))."
        }
    }
}
