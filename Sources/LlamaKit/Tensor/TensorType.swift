/// The storage type of a tensor, numbered as GGUF/ggml numbers them.
///
/// Quantized types store values in fixed-size blocks; ``blockSize`` elements take ``blockBytes`` bytes.
/// Weights stay in their stored type in memory: backends read the blocks directly.
public enum TensorType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8
    case q4_K = 12
    case q6_K = 14
    case bf16 = 30

    /// Elements per block (1 for plain float types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q8_0: return 32
        case .q4_K, .q6_K: return 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18   // f16 scale + 16 bytes of 4-bit values
        case .q4_1: return 20   // f16 scale + f16 min + 16 bytes
        case .q8_0: return 34   // f16 scale + 32 int8
        case .q4_K: return 144  // f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles
        case .q6_K: return 210  // 128 low nibbles, 64 high 2-bit, 16 int8 scales, f16 d
        }
    }

    /// Whether values are stored in quantized blocks.
    public var isQuantized: Bool { blockSize > 1 }

    /// The name ggml and llama.cpp use ("Q4_K", "F16", ...).
    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q8_0: return "Q8_0"
        case .q4_K: return "Q4_K"
        case .q6_K: return "Q6_K"
        }
    }

    /// Bytes needed for a row of `columns` elements, or `nil` when `columns` is not a whole number of blocks.
    public func rowBytes(columns: Int) -> Int? {
        guard columns >= 0, columns % blockSize == 0 else { return nil }
        let (bytes, overflow) = (columns / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }
}
