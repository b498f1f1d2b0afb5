/// Why a safetensors file or a sharded safetensors folder could not be read.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// The file is shorter than the 8-byte header length, or the header length runs past the end.
    case headerLengthPastEnd(path: String, headerLength: UInt64, fileSize: Int)
    /// The header (or an index file) is not the JSON object the format requires.
    case badJSON(path: String, reason: String)
    /// A tensor's dtype is not one LlamaKit keeps in memory (F32, F16, BF16).
    case unsupportedDType(tensor: String, dtype: String)
    /// A tensor's `data_offsets` lie outside the data section or are reversed.
    case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors share bytes.
    case overlappingTensors(String, String)
    /// A tensor's byte count does not equal its shape times its element size.
    case sizeMismatch(tensor: String, shape: [Int], dtype: String, bytes: Int)
    /// The tensor is not in the file (or not in the index).
    case missingTensor(String)
    /// The index names a shard file that does not exist.
    case missingShard(index: String, shard: String)
    /// A tensor has more dimensions than a weight can have here, or a negative dimension.
    case badShape(tensor: String, shape: [Int])

    public var description: String {
        switch self {
        case let .headerLengthPastEnd(path, length, size):
            return "\(path): safetensors header length \(length) runs past the end of the \(size)-byte file."
        case let .badJSON(path, reason):
            return "\(path): malformed safetensors JSON: \(reason)"
        case let .unsupportedDType(tensor, dtype):
            return "Tensor '\(tensor)' has dtype \(dtype); LlamaKit reads F32, F16 and BF16 safetensors."
        case let .offsetsOutOfRange(tensor, begin, end, size):
            return "Tensor '\(tensor)' has data_offsets [\(begin), \(end)) outside the \(size)-byte data section."
        case let .overlappingTensors(a, b):
            return "Tensors '\(a)' and '\(b)' overlap in the safetensors data section."
        case let .sizeMismatch(tensor, shape, dtype, bytes):
            return "Tensor '\(tensor)' (\(dtype) \(shape)) has \(bytes) bytes, which does not match its shape."
        case let .missingTensor(name):
            return "Tensor '\(name)' is not in the checkpoint."
        case let .missingShard(index, shard):
            return "\(index) names shard '\(shard)', which does not exist."
        case let .badShape(tensor, shape):
            return "Tensor '\(tensor)' has unsupported shape \(shape)."
        }
    }
}
