import Foundation

/// A Hugging Face `config.json` for `LlamaForCausalLM`, read into a ``LlamaConfiguration`` plus what the
/// weights loader and generation need.
public struct HuggingFaceConfiguration: Sendable, Equatable {
    /// The network hyper-parameters.
    public var llama: LlamaConfiguration
    /// Llama 3.1-style frequency scaling, from `rope_scaling` or the newer `rope_parameters`.
    public var ropeScaling: Llama3RopeScaling?
    /// When true the output projection is the embedding matrix (no `lm_head.weight`).
    public var tieWordEmbeddings: Bool
    /// `bos_token_id`, if given.
    public var bosTokenID: Int?
    /// `eos_token_id` written as an int or a list.
    public var eosTokenIDs: [Int]

    /// Parses `config.json` bytes; `file` names the file in errors.
    public init(data: Data, file: String = "config.json") throws {
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.badConfigurationValue(file: file, key: "(root)", reason: "is not a JSON object")
        }
        let reader = ConfigReader(json: json, file: file)
        if let type = json["model_type"] as? String, type != "llama" {
            throw ModelError.unsupportedArchitecture(type)
        }
        if let act = json["hidden_act"] as? String, act != "silu" {
            throw CheckpointError.unsupportedFeature(file: file, feature: "hidden_act '\(act)'")
        }
        for key in ["attention_bias", "mlp_bias"] where (json[key] as? Bool) == true {
            throw CheckpointError.unsupportedFeature(file: file, feature: key)
        }
        let hidden = try reader.int("hidden_size")
        let heads = try reader.int("num_attention_heads")
        let kvHeads = try reader.int("num_key_value_heads", default: heads)
        guard heads > 0, kvHeads > 0 else {
            throw ModelError.invalidConfiguration("num_attention_heads \(heads), num_key_value_heads \(kvHeads) must be positive")
        }
        guard heads % kvHeads == 0 else {
            throw ModelError.invalidConfiguration("\(heads) attention heads cannot be grouped over \(kvHeads) key/value heads")
        }
        let headDim: Int
        if let explicit = try reader.optionalInt("head_dim") {
            headDim = explicit
        } else {
            guard hidden % heads == 0 else {
                throw ModelError.invalidConfiguration("hidden_size \(hidden) is not a multiple of num_attention_heads \(heads) and no head_dim is given")
            }
            headDim = hidden / heads
        }

        // Two spellings: transformers ≥ 5 writes `rope_parameters` (holding rope_theta); older files have
        // `rope_theta` at the top level and an optional `rope_scaling`.
        var theta = try reader.double("rope_theta", default: 10000)
        var rope: [String: Any]? = json["rope_scaling"] as? [String: Any]
        if let parameters = json["rope_parameters"] as? [String: Any] {
            rope = parameters
            let sub = ConfigReader(json: parameters, file: file, prefix: "rope_parameters.")
            theta = try sub.double("rope_theta", default: theta)
        }
        var scaling: Llama3RopeScaling? = nil
        if let rope {
            let sub = ConfigReader(json: rope, file: file, prefix: "rope_scaling.")
            let type = (rope["rope_type"] as? String) ?? (rope["type"] as? String) ?? "default"
            switch type {
            case "default":
                break
            case "llama3":
                scaling = Llama3RopeScaling(
                    factor: Float(try sub.double("factor")),
                    lowFrequencyFactor: Float(try sub.double("low_freq_factor")),
                    highFrequencyFactor: Float(try sub.double("high_freq_factor")),
                    originalContextLength: try sub.int("original_max_position_embeddings"))
                try scaling?.validate(file: file)
            default:
                throw CheckpointError.unsupportedFeature(file: file, feature: "rope type '\(type)' (supported: default, llama3)")
            }
        }
        llama = LlamaConfiguration(
            hiddenSize: hidden, intermediateSize: try reader.int("intermediate_size"),
            layerCount: try reader.int("num_hidden_layers"), headCount: heads, kvHeadCount: kvHeads,
            headDim: headDim, vocabularySize: try reader.int("vocab_size"),
            rmsNormEpsilon: Float(try reader.double("rms_norm_eps", default: 1e-6)), ropeTheta: Float(theta),
            trainedContextLength: try reader.int("max_position_embeddings", default: 2048))
        try llama.validate()
        ropeScaling = scaling
        tieWordEmbeddings = (json["tie_word_embeddings"] as? Bool) ?? false
        bosTokenID = try reader.optionalInt("bos_token_id")
        eosTokenIDs = try reader.intList("eos_token_id")
    }

    /// Reads `config.json` from `folder`.
    public init(folder: String) throws {
        let path = URL(fileURLWithPath: folder).appendingPathComponent("config.json").path
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FileError.cannotOpen(path: path, reason: "cannot read the file")
        }
        try self.init(data: data, file: path)
    }

    /// The RoPE inverse frequencies the model uses (scaled when `ropeScaling` is set).
    public var inverseFrequencies: [Float] {
        let base = RotaryEmbedding.inverseFrequencies(headDim: llama.headDim, theta: llama.ropeTheta)
        return ropeScaling?.apply(to: base) ?? base
    }
}

/// Typed access to a JSON object's values, with errors that name the file and key.
struct ConfigReader {
    let json: [String: Any]
    let file: String
    var prefix = ""

    private func fail(_ key: String, _ reason: String) -> CheckpointError {
        .badConfigurationValue(file: file, key: prefix + key, reason: reason)
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let value = json[key], !(value is NSNull) else { return nil }
        guard let n = JSONNumber.int(value) else { throw fail(key, "must be an integer") }
        return n
    }

    func int(_ key: String, default fallback: Int? = nil) throws -> Int {
        if let n = try optionalInt(key) { return n }
        if let fallback { return fallback }
        throw fail(key, "is missing")
    }

    func double(_ key: String, default fallback: Double? = nil) throws -> Double {
        if let value = json[key], !(value is NSNull) {
            guard let d = JSONNumber.double(value) else { throw fail(key, "must be a number") }
            return d
        }
        if let fallback { return fallback }
        throw fail(key, "is missing")
    }

    /// An int or a list of ints (absent or null: empty).
    func intList(_ key: String) throws -> [Int] {
        guard let value = json[key], !(value is NSNull) else { return [] }
        if let list = value as? [Any] {
            return try list.map { item in
                guard let n = JSONNumber.int(item) else { throw fail(key, "must be an integer or a list of integers") }
                return n
            }
        }
        guard let n = JSONNumber.int(value) else { throw fail(key, "must be an integer or a list of integers") }
        return [n]
    }
}
