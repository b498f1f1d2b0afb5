/// Why a checkpoint folder (Hugging Face or Meta) could not be loaded.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The folder holds neither `config.json` with safetensors nor Meta's `params.json` with `consolidated.*.pth`.
    case unrecognizedFolder(String)
    /// A configuration file is missing a required key or has a value of the wrong kind.
    case badConfigurationValue(file: String, key: String, reason: String)
    /// The configuration asks for a feature LlamaKit does not implement (biases, another RoPE type, ...).
    case unsupportedFeature(file: String, feature: String)
    /// A tensor's shape does not match the configuration (shapes in PyTorch order).
    case wrongTensorShape(tensor: String, expected: [Int], found: [Int])
    /// A tensor is stored in a type that cannot be used where it is needed.
    case unsupportedTensorType(tensor: String, type: TensorType)
    /// A weight holds NaN or infinity, which quantization cannot represent.
    case nonFiniteValue(tensor: String)
    /// The folder has no tokenizer LlamaKit can read, so text cannot be encoded; token ids still work.
    case missingTokenizer(folder: String)

    public var description: String {
        switch self {
        case let .unrecognizedFolder(path):
            return "\(path) is not a model folder: expected config.json with model.safetensors (Hugging Face) or params.json with consolidated.00.pth (Meta)."
        case let .badConfigurationValue(file, key, reason):
            return "\(file): '\(key)' \(reason)."
        case let .unsupportedFeature(file, feature):
            return "\(file): \(feature) is not supported."
        case let .wrongTensorShape(tensor, expected, found):
            return "Tensor '\(tensor)' has shape \(found); the configuration needs \(expected)."
        case let .unsupportedTensorType(tensor, type):
            return "Tensor '\(tensor)' is stored as \(type), which cannot be used here."
        case let .nonFiniteValue(tensor):
            return "Tensor '\(tensor)' holds NaN or infinite values and cannot be quantized."
        case let .missingTokenizer(folder):
            return "\(folder) has no tokenizer LlamaKit can read, so text cannot be encoded; use token ids (llama-logits --ids) with this folder."
        }
    }
}
