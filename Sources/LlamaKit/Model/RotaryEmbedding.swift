import Foundation

/// RoPE inverse frequencies, computed the way the reference implementations do (float32).
public enum RotaryEmbedding {
    /// `1 / theta^(2i / headDim)` for `i` in `0..<headDim/2`, each divided by `scaling[i]` when given
    /// (GGUF stores Llama 3.1's frequency scaling as these per-pair divisors in `rope_freqs.weight`).
    public static func inverseFrequencies(headDim: Int, theta: Float, scaling: [Float]? = nil) -> [Float] {
        (0 ..< headDim / 2).map { i in
            let exponent = Float(2 * i) / Float(headDim)
            let base = 1 / powf(theta, exponent)
            return base / (scaling?[i] ?? 1)
        }
    }
}
