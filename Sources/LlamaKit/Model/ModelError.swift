/// Why a model could not be loaded or run.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case unsupportedArchitecture(String)
    case invalidConfiguration(String)
    case tokenOutOfRange(id: Int32, vocabularySize: Int)
    case contextOverflow(needed: Int, contextLength: Int)
    case emptyInput

    public var description: String {
        switch self {
        case let .unsupportedArchitecture(name):
            return "Unsupported model architecture '\(name)' (supported: llama)."
        case let .invalidConfiguration(message):
            return "Invalid model configuration: \(message)"
        case let .tokenOutOfRange(id, size):
            return "Token id \(id) is outside the vocabulary (0..<\(size))."
        case let .contextOverflow(needed, length):
            return "The input needs \(needed) positions but the context holds \(length). Use a larger context or a shorter prompt."
        case .emptyInput:
            return "No tokens to evaluate."
        }
    }
}
