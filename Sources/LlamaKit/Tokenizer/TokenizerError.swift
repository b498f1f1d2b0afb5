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
    /// A `tokenizer.model` line (1-based) that is not a base64 token, one space and a rank.
    case malformedVocabularyLine(line: Int, text: String)
    /// A `tokenizer.model` line (1-based) whose token is not valid base64.
    case invalidBase64(line: Int, text: String)
    /// A `tokenizer.model` line (1-based) repeats a rank an earlier line has.
    case duplicateRank(line: Int, rank: Int)
    /// A file that should be JSON is not (byte offset of the problem).
    case invalidJSON(file: String, offset: Int, reason: String)
    /// A `tokenizer.json` or `tokenizer_config.json` whose structure is not what the format says.
    case malformedTokenizerJSON(file: String, reason: String)
    /// A tokenizer component (normalizer, pre-tokenizer step, decoder, model option) LlamaKit does not implement.
    case unsupportedComponent(kind: String, name: String)
    /// A pre-tokenizer regular expression that Swift's `Regex` cannot compile.
    case invalidRegex(pattern: String, reason: String)
    /// A tokenizer file that does not exist or cannot be read.
    case unreadableFile(path: String, reason: String)
    /// A path that is none of the tokenizer formats, or a folder without a tokenizer in it.
    case unrecognizedTokenizerPath(String)

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
        case let .malformedVocabularyLine(line, text):
            return "Line \(line) of the tokenizer.model file is \"\(text.prefix(80))\"; expected a base64 token, a space and a rank."
        case let .invalidBase64(line, text):
            return "Line \(line) of the tokenizer.model file has a token that is not valid base64: \"\(text.prefix(80))\"."
        case let .duplicateRank(line, rank):
            return "Line \(line) of the tokenizer.model file repeats rank \(rank)."
        case let .invalidJSON(file, offset, reason):
            return "\(file) is not valid JSON at byte \(offset): \(reason)."
        case let .malformedTokenizerJSON(file, reason):
            return "\(file) is not a tokenizer file LlamaKit understands: \(reason)."
        case let .unsupportedComponent(kind, name):
            return "The tokenizer's \(kind) '\(name)' is not supported."
        case let .invalidRegex(pattern, reason):
            return "The pre-tokenizer pattern \(pattern) does not compile: \(reason)."
        case let .unreadableFile(path, reason):
            return "Cannot read \(path): \(reason)."
        case let .unrecognizedTokenizerPath(path):
            return "\(path) is not a tokenizer.json, tokenizer.model or .gguf file, nor a folder holding one."
        }
    }
}
