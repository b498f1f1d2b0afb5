/// The hyper-parameters of a Llama-architecture model.
public struct LlamaConfiguration: Sendable, Codable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var vocabularySize: Int
    public var rmsNormEpsilon: Float
    public var ropeTheta: Float
    /// The context length the model was trained for.
    public var trainedContextLength: Int

    public init(hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int, kvHeadCount: Int,
                headDim: Int, vocabularySize: Int, rmsNormEpsilon: Float, ropeTheta: Float, trainedContextLength: Int) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.vocabularySize = vocabularySize
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.trainedContextLength = trainedContextLength
    }

    /// Reads the `llama.*` keys of a GGUF file.
    public init(gguf: GGUFFile) throws {
        let arch = try gguf.string("general.architecture")
        guard arch == "llama" else { throw ModelError.unsupportedArchitecture(arch) }
        hiddenSize = try gguf.int("llama.embedding_length")
        intermediateSize = try gguf.int("llama.feed_forward_length")
        layerCount = try gguf.int("llama.block_count")
        headCount = try gguf.int("llama.attention.head_count")
        kvHeadCount = gguf.metadata["llama.attention.head_count_kv"] == nil
            ? headCount : try gguf.int("llama.attention.head_count_kv")
        guard headCount > 0 else { throw ModelError.invalidConfiguration("llama.attention.head_count is \(headCount)") }
        headDim = gguf.metadata["llama.attention.key_length"] == nil
            ? hiddenSize / headCount : try gguf.int("llama.attention.key_length")
        rmsNormEpsilon = Float(try gguf.double("llama.attention.layer_norm_rms_epsilon"))
        ropeTheta = gguf.metadata["llama.rope.freq_base"] == nil ? 10000 : Float(try gguf.double("llama.rope.freq_base"))
        trainedContextLength = gguf.metadata["llama.context_length"] == nil ? 2048 : try gguf.int("llama.context_length")
        if gguf.metadata["llama.vocab_size"] != nil {
            vocabularySize = try gguf.int("llama.vocab_size")
        } else if let embedding = gguf.info("token_embd.weight"), embedding.dims.count == 2 {
            vocabularySize = embedding.dims[1]
        } else {
            throw GGUFError.missingKey("llama.vocab_size")
        }
        if let ropeDims = gguf.metadata["llama.rope.dimension_count"]?.int, ropeDims != headDim {
            throw ModelError.invalidConfiguration("partial RoPE (rope.dimension_count \(ropeDims) of head size \(headDim)) is not supported")
        }
        try validate()
    }

    /// Checks that the sizes are positive and consistent.
    public func validate() throws {
        func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            if !condition { throw ModelError.invalidConfiguration(message()) }
        }
        try require(hiddenSize > 0 && intermediateSize > 0 && layerCount > 0 && vocabularySize > 0,
                    "sizes must be positive (hidden \(hiddenSize), ffn \(intermediateSize), layers \(layerCount), vocab \(vocabularySize))")
        try require(headCount > 0 && kvHeadCount > 0 && headCount % kvHeadCount == 0,
                    "\(headCount) attention heads cannot be grouped over \(kvHeadCount) key/value heads")
        try require(headDim > 0 && headDim % 2 == 0, "head size \(headDim) must be positive and even")
        try require(hiddenSize <= 1 << 20 && intermediateSize <= 1 << 22 && layerCount <= 1024 && headCount <= 4096,
                    "sizes are implausibly large")
        try require(rmsNormEpsilon.isFinite && rmsNormEpsilon >= 0, "rms_norm_eps is \(rmsNormEpsilon)")
        try require(ropeTheta.isFinite && ropeTheta > 0, "rope theta is \(ropeTheta)")
        try require(trainedContextLength > 0, "context length is \(trainedContextLength)")
    }
}
