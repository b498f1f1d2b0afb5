import Foundation

/// Llama 3.1's RoPE frequency scaling (`rope_type: "llama3"`): long wavelengths are divided by `factor`,
/// short ones are kept, and the band between is interpolated.
public struct Llama3RopeScaling: Sendable, Equatable, Codable {
    /// Divisor for long wavelengths (`factor`, 8 for Llama 3.1).
    public var factor: Float
    /// `low_freq_factor`: wavelengths above originalContextLength / this are divided by `factor`.
    public var lowFrequencyFactor: Float
    /// `high_freq_factor`: wavelengths below originalContextLength / this are kept.
    public var highFrequencyFactor: Float
    /// The context length the unscaled model was trained for (`original_max_position_embeddings`).
    public var originalContextLength: Int

    /// Scaling parameters given directly.
    public init(factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float, originalContextLength: Int) {
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalContextLength = originalContextLength
    }

    /// Meta's fixed Llama 3.1 values (`use_scaled_rope: true` in params.json).
    public static let llama31 = Llama3RopeScaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalContextLength: 8192)

    /// Scales `inverseFrequencies` in float32, operation for operation as transformers'
    /// `_compute_llama3_parameters` does, so the rotations match the reference bit for bit where possible.
    public func apply(to inverseFrequencies: [Float]) -> [Float] {
        let oldContext = Float(originalContextLength)
        let lowWavelength = oldContext / lowFrequencyFactor
        let highWavelength = oldContext / highFrequencyFactor
        return inverseFrequencies.map { inv in
            let wavelength = Float(2 * Double.pi) / inv
            let scaled = wavelength > lowWavelength ? inv / factor : inv
            let isMedium = !(wavelength < highWavelength) && !(wavelength > lowWavelength)
            guard isMedium else { return scaled }
            let smooth = (oldContext / wavelength - lowFrequencyFactor) / (highFrequencyFactor - lowFrequencyFactor)
            return (1 - smooth) * scaled / factor + smooth * scaled
        }
    }

    /// Checks the factors are usable (finite, positive, high above low).
    func validate(file: String) throws {
        guard factor.isFinite, factor > 0, lowFrequencyFactor.isFinite, lowFrequencyFactor > 0,
              highFrequencyFactor.isFinite, highFrequencyFactor > lowFrequencyFactor, originalContextLength > 0
        else {
            throw CheckpointError.badConfigurationValue(file: file, key: "rope_scaling",
                reason: "needs positive factor, low_freq_factor < high_freq_factor and original_max_position_embeddings (got \(self))")
        }
    }
}
