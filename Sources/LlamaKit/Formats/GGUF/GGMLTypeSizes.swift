/// Block size and bytes per block of every ggml tensor type, including those LlamaKit cannot compute with.
///
/// Used only to validate a file's layout (offsets, overlaps) before we decide whether a tensor is usable,
/// so a file with, say, a Q5_K tensor is reported as "unsupported Q5_K" rather than as corrupt.
enum GGMLTypeSizes {
    struct Entry { let name: String; let blockSize: Int; let blockBytes: Int }

    static func entry(_ raw: UInt32) -> Entry? {
        if let known = TensorType(rawValue: raw) {
            return Entry(name: known.description, blockSize: known.blockSize, blockBytes: known.blockBytes)
        }
        switch raw {
        case 6: return Entry(name: "Q5_0", blockSize: 32, blockBytes: 22)
        case 7: return Entry(name: "Q5_1", blockSize: 32, blockBytes: 24)
        case 9: return Entry(name: "Q8_1", blockSize: 32, blockBytes: 36)
        case 10: return Entry(name: "Q2_K", blockSize: 256, blockBytes: 84)
        case 11: return Entry(name: "Q3_K", blockSize: 256, blockBytes: 110)
        case 13: return Entry(name: "Q5_K", blockSize: 256, blockBytes: 176)
        case 15: return Entry(name: "Q8_K", blockSize: 256, blockBytes: 292)
        case 16: return Entry(name: "IQ2_XXS", blockSize: 256, blockBytes: 66)
        case 17: return Entry(name: "IQ2_XS", blockSize: 256, blockBytes: 74)
        case 18: return Entry(name: "IQ3_XXS", blockSize: 256, blockBytes: 98)
        case 19: return Entry(name: "IQ1_S", blockSize: 256, blockBytes: 50)
        case 20: return Entry(name: "IQ4_NL", blockSize: 32, blockBytes: 18)
        case 21: return Entry(name: "IQ3_S", blockSize: 256, blockBytes: 110)
        case 22: return Entry(name: "IQ2_S", blockSize: 256, blockBytes: 82)
        case 23: return Entry(name: "IQ4_XS", blockSize: 256, blockBytes: 136)
        case 24: return Entry(name: "I8", blockSize: 1, blockBytes: 1)
        case 25: return Entry(name: "I16", blockSize: 1, blockBytes: 2)
        case 26: return Entry(name: "I32", blockSize: 1, blockBytes: 4)
        case 27: return Entry(name: "I64", blockSize: 1, blockBytes: 8)
        case 28: return Entry(name: "F64", blockSize: 1, blockBytes: 8)
        case 29: return Entry(name: "IQ1_M", blockSize: 256, blockBytes: 56)
        default: return nil
        }
    }
}
