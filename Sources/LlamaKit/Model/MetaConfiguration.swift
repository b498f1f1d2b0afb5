import Foundation

/// Meta's `params.json` (the `llama` reference code's `ModelArgs`), read into a ``LlamaConfiguration``.
public struct MetaConfiguration: Sendable, Equatable {
    /// The network hyper-parameters.
    public var llama: LlamaConfiguration
    /// `use_scaled_rope: true` means Llama 3.1's fixed scaling (factor 8, 1, 4, 8192).
    public var ropeScaling: Llama3RopeScaling?

    /// Parses `params.json`; `vocab_size` ≤ 0 (Llama 2 writes -1) is replaced by `vocabularySizeFallback`.
    public init(data: Data, file: String = "params.json", vocabularySizeFallback: Int? = nil) throws {
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.badConfigurationValue(file: file, key: "(root)", reason: "is not a JSON object")
        }
        let reader = ConfigReader(json: json, file: file)
        let dim = try reader.int("dim")
        let heads = try reader.int("n_heads")
        let kvHeads = try reader.int("n_kv_heads", default: heads)
        guard heads > 0, kvHeads > 0, dim % heads == 0 else {
            throw ModelError.invalidConfiguration("dim \(dim) cannot be split over \(heads) heads (\(kvHeads) key/value heads)")
        }
        // The feed-forward width as Meta's FeedForward computes it: 2/3 of 4·dim, times the optional
        // multiplier, rounded up to a multiple of `multiple_of`.
        let multipleOf = try reader.int("multiple_of", default: 256)
        guard multipleOf > 0 else { throw CheckpointError.badConfigurationValue(file: file, key: "multiple_of", reason: "must be positive") }
        var hidden = 2 * (4 * dim) / 3
        if let multiplier = json["ffn_dim_multiplier"], !(multiplier is NSNull) {
            guard let m = JSONNumber.double(multiplier), m > 0, m < 100 else {
                throw CheckpointError.badConfigurationValue(file: file, key: "ffn_dim_multiplier", reason: "must be a positive number")
            }
            hidden = Int(m * Double(hidden))
        }
        hidden = multipleOf * ((hidden + multipleOf - 1) / multipleOf)
        var vocab = try reader.int("vocab_size", default: -1)
        if vocab <= 0 {
            guard let fallback = vocabularySizeFallback else {
                throw CheckpointError.badConfigurationValue(file: file, key: "vocab_size", reason: "is missing")
            }
            vocab = fallback
        }
        let scaled = (json["use_scaled_rope"] as? Bool) ?? false
        llama = LlamaConfiguration(
            hiddenSize: dim, intermediateSize: hidden, layerCount: try reader.int("n_layers"), headCount: heads,
            kvHeadCount: kvHeads, headDim: dim / heads, vocabularySize: vocab,
            rmsNormEpsilon: Float(try reader.double("norm_eps", default: 1e-5)),
            ropeTheta: Float(try reader.double("rope_theta", default: 10000)),
            trainedContextLength: scaled ? 131_072 : 4096)
        try llama.validate()
        ropeScaling = scaled ? .llama31 : nil
    }

    /// The RoPE inverse frequencies the model uses.
    public var inverseFrequencies: [Float] {
        let base = RotaryEmbedding.inverseFrequencies(headDim: llama.headDim, theta: llama.ropeTheta)
        return ropeScaling?.apply(to: base) ?? base
    }
}
