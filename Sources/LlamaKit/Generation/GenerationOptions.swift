/// What a generation call may produce and when it stops.
public struct GenerationOptions: Sendable, Equatable {
    /// At most this many new tokens.
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Generation stops before emitting any of these strings (the string itself is not returned).
    public var stopStrings: [String]
    /// Extra token ids that end generation, on top of the tokenizer's end-of-turn tokens.
    public var extraStopTokens: Set<Int32>

    public init(maxTokens: Int = 512, sampling: SamplingParameters = SamplingParameters(),
                stopStrings: [String] = [], extraStopTokens: Set<Int32> = []) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopStrings = stopStrings
        self.extraStopTokens = extraStopTokens
    }
}

/// Why generation ended.
public enum StopReason: Sendable, Equatable {
    /// The model produced an end-of-turn token (e.g. `<|eot_id|>`, `<|eom_id|>`, `<|im_end|>`).
    case endOfTurn(token: Int32)
    /// The text reached one of ``GenerationOptions/stopStrings``.
    case stopString(String)
    /// ``GenerationOptions/maxTokens`` were generated.
    case maxTokens
    /// The KV cache is full.
    case contextFull
    /// The consuming task was cancelled.
    case cancelled
}

/// Timings and counts of one generation call.
public struct GenerationStats: Sendable, Equatable {
    /// Tokens in the prompt.
    public var promptTokens: Int
    /// Prompt tokens actually evaluated (the rest were reused from the KV cache).
    public var evaluatedPromptTokens: Int
    public var generatedTokens: Int
    public var promptSeconds: Double
    public var generationSeconds: Double
    /// Seconds from the call to the first generated token (prompt evaluation plus the first sampling step):
    /// what a user waits before text starts to appear.
    public var timeToFirstToken: Double = 0

    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(evaluatedPromptTokens) / promptSeconds : 0 }
    /// Tokens per second after the first (the first token's logits come from the prompt pass).
    public var generationTokensPerSecond: Double { generationSeconds > 0 ? Double(max(generatedTokens - 1, 0)) / generationSeconds : 0 }
}

/// The outcome of one generation call.
public struct GenerationResult: Sendable, Equatable {
    public var text: String
    public var tokens: [Int32]
    public var stopReason: StopReason
    public var stats: GenerationStats
}

/// An element of a streamed generation: text pieces (always whole characters), then one `finished`.
public enum GenerationEvent: Sendable, Equatable {
    case text(String)
    case finished(GenerationResult)
}
