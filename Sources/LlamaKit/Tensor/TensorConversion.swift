/// Conversion of float tensors (f32/f16/bf16) to any type a GGUF file can hold here.
public enum TensorConversion {
    /// Target types ``convert(_:to:)`` accepts.
    public static let targets: [TensorType] = [.f32, .f16, .bf16, .q8_0, .q4_0]

    /// `tensor` as `type` (itself when already that type; a new allocation otherwise).
    public static func convert(_ tensor: HostTensor, to type: TensorType) throws -> HostTensor {
        if tensor.type == type { return tensor }
        if type == .q8_0 || type == .q4_0 { return try Quantizer.quantize(tensor, to: type) }
        guard targets.contains(type) else { throw CheckpointError.unsupportedTensorType(tensor: tensor.name, type: type) }
        let f32 = try tensor.convertedToF32()
        if type == .f32 { return f32 }
        let count = tensor.rows * tensor.columns
        let allocation = HostAllocation(count: count * 2)
        let out = allocation.pointer.bindMemory(to: UInt16.self, capacity: count)
        for i in 0 ..< count {
            let value = f32.bytes.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
            out[i] = type == .f16 ? HalfFloat.fromFloat(value) : bfloat16(value)
        }
        return HostTensor(name: tensor.name, type: type, rows: tensor.rows, columns: tensor.columns,
                          bytes: allocation.buffer, owner: allocation)
    }

    /// float32 → bfloat16 rounding to nearest even, NaN kept quiet (as ggml and gguf-py do).
    public static func bfloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(bits >> 16) | 64 }
        return UInt16((bits &+ (0x7FFF + ((bits >> 16) & 1))) >> 16)
    }
}
