/// Quantization on load: float matrices (f32/f16/bf16) to the Q8_0 or Q4_0 blocks the backends run,
/// the analogue of transformers' `load_in_8bit` / `load_in_4bit`.
///
/// The rounding is ggml's reference quantizer (`quantize_row_q8_0_ref` / `quantize_row_q4_0_ref`), so a
/// tensor quantized here has the same bytes as one quantized by llama.cpp from the same values.
public enum Quantizer {
    /// The types ``quantize(_:to:)`` can produce.
    public static let supportedTypes: [TensorType] = [.q8_0, .q4_0]

    /// `tensor` converted to `type` in a new allocation.
    public static func quantize(_ tensor: HostTensor, to type: TensorType) throws -> HostTensor {
        guard supportedTypes.contains(type) else { throw CheckpointError.unsupportedTensorType(tensor: tensor.name, type: type) }
        guard [.f32, .f16, .bf16].contains(tensor.type) else {
            throw CheckpointError.unsupportedTensorType(tensor: tensor.name, type: tensor.type)
        }
        guard let rowBytes = type.rowBytes(columns: tensor.columns) else {
            throw CheckpointError.wrongTensorShape(tensor: tensor.name, expected: [tensor.rows, (tensor.columns + 31) / 32 * 32],
                                                   found: [tensor.rows, tensor.columns])
        }
        let allocation = HostAllocation(count: rowBytes * tensor.rows)
        var row = [Float](repeating: 0, count: tensor.columns)
        let sourceRowBytes = tensor.columns * tensor.type.blockBytes
        for r in 0 ..< tensor.rows {
            let source = r * sourceRowBytes
            for c in 0 ..< tensor.columns {
                switch tensor.type {
                case .f32: row[c] = tensor.bytes.loadUnaligned(fromByteOffset: source + 4 * c, as: Float.self)
                case .bf16: row[c] = Float(bitPattern: UInt32(tensor.bytes.loadUnaligned(fromByteOffset: source + 2 * c, as: UInt16.self)) << 16)
                default: row[c] = HalfFloat.toFloat(tensor.bytes.loadUnaligned(fromByteOffset: source + 2 * c, as: UInt16.self))
                }
            }
            guard row.allSatisfy(\.isFinite) else { throw CheckpointError.nonFiniteValue(tensor: tensor.name) }
            let destination = allocation.pointer + r * rowBytes
            if type == .q8_0 { quantizeQ8_0(row, into: destination) } else { quantizeQ4_0(row, into: destination) }
        }
        return HostTensor(name: tensor.name, type: type, rows: tensor.rows, columns: tensor.columns,
                          bytes: allocation.buffer, owner: allocation)
    }

    /// Q8_0: per 32 values, d = max|x| / 127 (stored as f16) and round(x / d) as int8.
    static func quantizeQ8_0(_ x: [Float], into out: UnsafeMutableRawPointer) {
        for block in 0 ..< x.count / 32 {
            let base = block * 32
            var amax: Float = 0
            for j in 0 ..< 32 { amax = max(amax, abs(x[base + j])) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            let blockStart = out + block * 34
            blockStart.storeBytes(of: HalfFloat.fromFloat(d), as: UInt16.self)
            for j in 0 ..< 32 {
                // roundf: halves away from zero.
                let q = Int8((x[base + j] * id).rounded(.toNearestOrAwayFromZero))
                (blockStart + 2 + j).storeBytes(of: q, as: Int8.self)
            }
        }
    }

    /// Q4_0: per 32 values, d = (the value of largest magnitude, with its sign) / -8 and nibbles
    /// min(15, trunc(x / d + 8.5)); element j and j + 16 share byte j.
    static func quantizeQ4_0(_ x: [Float], into out: UnsafeMutableRawPointer) {
        for block in 0 ..< x.count / 32 {
            let base = block * 32
            var amax: Float = 0
            var maxValue: Float = 0
            for j in 0 ..< 32 where amax < abs(x[base + j]) {
                amax = abs(x[base + j])
                maxValue = x[base + j]
            }
            let d = maxValue / -8
            let id: Float = d != 0 ? 1 / d : 0
            let blockStart = out + block * 18
            blockStart.storeBytes(of: HalfFloat.fromFloat(d), as: UInt16.self)
            for j in 0 ..< 16 {
                // ggml converts with an (int8_t) cast, which truncates toward zero; values are ≥ 0.5 here.
                let low = min(15, Int8(truncatingIfNeeded: Int((x[base + j] * id + 8.5).rounded(.towardZero))))
                let high = min(15, Int8(truncatingIfNeeded: Int((x[base + 16 + j] * id + 8.5).rounded(.towardZero))))
                (blockStart + 2 + j).storeBytes(of: UInt8(low) | UInt8(high) << 4, as: UInt8.self)
            }
        }
    }
}
