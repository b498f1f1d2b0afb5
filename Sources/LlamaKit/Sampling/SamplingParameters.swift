/// How the next token is chosen from the logits.
///
/// Applied in this order (the order of Hugging Face's warpers): repetition/presence/frequency penalties,
/// temperature, top-k, top-p, min-p, then a draw from the seeded generator. A temperature of 0 (or less)
/// means greedy decoding: the highest logit after penalties, ties to the lowest id.
public struct SamplingParameters: Sendable, Equatable, Codable {
    public var temperature: Float
    /// Keep the k most likely tokens (0: no limit).
    public var topK: Int
    /// Keep the smallest set whose probability reaches p (1: no limit).
    public var topP: Float
    /// Drop tokens less likely than minP × the most likely one (0: off).
    public var minP: Float
    /// Divides positive (multiplies negative) logits of tokens seen in the last `penaltyWindow` tokens (1: off).
    public var repetitionPenalty: Float
    /// Subtracted once from the logit of every token seen in the window (0: off).
    public var presencePenalty: Float
    /// Subtracted per occurrence in the window (0: off).
    public var frequencyPenalty: Float
    /// How many recent tokens the penalties look at (the prompt included).
    public var penaltyWindow: Int
    /// Seed for reproducible sampling; `nil` draws one from the system generator.
    public var seed: UInt64?

    public init(temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
                repetitionPenalty: Float = 1, presencePenalty: Float = 0, frequencyPenalty: Float = 0,
                penaltyWindow: Int = 64, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.penaltyWindow = penaltyWindow
        self.seed = seed
    }

    /// Greedy decoding: always the most likely token.
    public static let greedy = SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 0)
}
