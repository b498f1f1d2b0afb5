/// Conversions of small half-precision tensors to float32 copies.
///
/// Only vectors that a kernel needs in f32 (RMSNorm weights) are converted; matrices stay in their stored
/// type so a checkpoint costs no more memory than its file.
extension HostTensor {
    /// This tensor as f32 in a new allocation (or itself when already f32).
    public func convertedToF32() throws -> HostTensor {
        if type == .f32 { return self }
        let count = rows * columns
        let allocation = HostAllocation(count: count * 4)
        let out = allocation.pointer.bindMemory(to: Float.self, capacity: count)
        switch type {
        case .bf16:
            for i in 0 ..< count {
                out[i] = Float(bitPattern: UInt32(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        case .f16:
            for i in 0 ..< count {
                out[i] = HalfFloat.toFloat(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        default:
            throw CheckpointError.unsupportedTensorType(tensor: name, type: type)
        }
        return HostTensor(name: name, type: .f32, rows: rows, columns: columns, bytes: allocation.buffer, owner: allocation)
    }
}

/// IEEE 754 binary16 ↔ binary32 by bit manipulation (Swift's `Float16` is not available on every platform).
enum HalfFloat {
    static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F {  // inf / nan
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {  // zero / subnormal: mantissa × 2^-24, exact in float32
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// float32 → binary16 with round-to-nearest-even (overflow to infinity, gradual underflow), as
    /// ggml's `GGML_FP32_TO_FP16` does.
    static func fromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF { return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0) }
        let e = exponent - 127 + 15
        if e >= 0x1F { return sign | 0x7C00 }
        if e <= 0 {
            // Subnormal half (or zero): shift the full significand right, rounding to nearest even.
            guard e >= -10 else { return sign }
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - e)
            var half = significand >> shift
            let remainder = significand & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(e) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }  // may carry into the exponent: correct
        return sign | UInt16(half)
    }
}
