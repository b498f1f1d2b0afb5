import Foundation

/// The defaults a Hugging Face folder's `generation_config.json` declares (Llama 3.1 ships
/// temperature 0.6, top_p 0.9 and three end-of-turn ids).
public struct GenerationDefaults: Sendable, Equatable {
    /// `bos_token_id`.
    public var bosTokenID: Int?
    /// `eos_token_id` (an int or a list in the file).
    public var eosTokenIDs: [Int]
    /// `do_sample`: whether the authors intend sampling rather than greedy decoding.
    public var doSample: Bool?
    /// Default sampling temperature.
    public var temperature: Double?
    /// Default nucleus-sampling mass.
    public var topP: Double?
    /// Default top-k cut-off.
    public var topK: Int?

    /// Defaults given directly.
    public init(bosTokenID: Int? = nil, eosTokenIDs: [Int] = [], doSample: Bool? = nil,
                temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil) {
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.doSample = doSample
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
    }

    /// Parses `generation_config.json` bytes.
    public init(data: Data, file: String = "generation_config.json") throws {
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.badConfigurationValue(file: file, key: "(root)", reason: "is not a JSON object")
        }
        let reader = ConfigReader(json: json, file: file)
        bosTokenID = try reader.optionalInt("bos_token_id")
        eosTokenIDs = try reader.intList("eos_token_id")
        doSample = json["do_sample"] as? Bool
        temperature = json["temperature"] == nil ? nil : try reader.double("temperature")
        topP = json["top_p"] == nil ? nil : try reader.double("top_p")
        topK = try reader.optionalInt("top_k")
    }
}
