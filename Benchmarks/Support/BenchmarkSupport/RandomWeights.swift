import LlamaKit

/// Weight tensors with random contents in any stored type, for timing: decode reads every byte of a weight
/// whatever its values, so only the type and the shape matter. Block scales are set to small fp16 values
/// so activations stay finite through a layer.
public enum RandomWeights {
    /// A `rows` × `columns` tensor of `type` in a fresh allocation.
    public static func tensor(name: String, type: TensorType, rows: Int, columns: Int, seed: UInt64) -> HostTensor {
        let rowBytes = type.rowBytes(columns: columns) ?? columns * 4
        let count = rowBytes * rows
        let allocation = HostAllocation(count: count)
        let bytes = allocation.pointer
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 {  // xorshift64*: fast enough to fill gigabytes
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        let words = count / 8
        let wordPointer = bytes.bindMemory(to: UInt64.self, capacity: words)
        for i in 0 ..< words { wordPointer[i] = next() }
        for i in words * 8 ..< count { bytes.storeBytes(of: UInt8(truncatingIfNeeded: next()), toByteOffset: i, as: UInt8.self) }

        func setHalves(_ value: UInt16, at offsets: [Int], every stride: Int) {
            var block = 0
            while block + stride <= count {
                for offset in offsets { bytes.storeBytes(of: value, toByteOffset: block + offset, as: UInt16.self) }
                block += stride
            }
        }
        switch type {
        case .f32:
            let floats = bytes.bindMemory(to: Float.self, capacity: count / 4)
            for i in 0 ..< count / 4 { floats[i] = Float(Int(next() % 2001) - 1000) * 2e-5 }
        case .f16:
            // sign, an exponent for 2^-8 ... 2^-6, any mantissa
            let halves = bytes.bindMemory(to: UInt16.self, capacity: count / 2)
            for i in 0 ..< count / 2 { halves[i] = (halves[i] & 0x83FF) | UInt16(0x1C00 + (next() % 3) * 0x400) }
        case .bf16:
            let halves = bytes.bindMemory(to: UInt16.self, capacity: count / 2)
            for i in 0 ..< count / 2 { halves[i] = (halves[i] & 0x807F) | UInt16(0x3B80 + (next() % 3) * 0x80) }
        case .q4_0, .q8_0:
            setHalves(type == .q4_0 ? 0x1819 : 0x0A8E, at: [0], every: type.blockBytes)  // d ≈ 0.002 / 0.0002
        case .q4_1:
            setHalves(0x1819, at: [0], every: 20)
            setHalves(0x9C00, at: [2], every: 20)  // m ≈ -0.004
        case .q4_K:
            setHalves(0x0A8E, at: [0, 2], every: 144)
        case .q6_K:
            setHalves(0x0A8E, at: [208], every: 210)
        }
        return HostTensor(name: name, type: type, rows: rows, columns: columns,
                          bytes: UnsafeRawBufferPointer(start: bytes, count: count), owner: allocation)
    }

    /// A vector of ones (RMSNorm weights).
    public static func ones(name: String, count: Int) -> HostTensor {
        let allocation = HostAllocation(count: count * 4)
        let floats = allocation.pointer.bindMemory(to: Float.self, capacity: count)
        for i in 0 ..< count { floats[i] = 1 }
        return HostTensor(name: name, type: .f32, rows: 1, columns: count,
                          bytes: UnsafeRawBufferPointer(start: allocation.pointer, count: count * 4), owner: allocation)
    }
}
