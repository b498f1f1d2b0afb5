/// Why a GGUF file could not be read. Every malformed or hostile file ends in one of these.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case badMagic(found: UInt32)
    case unsupportedVersion(UInt32)
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    case unknownValueType(key: String, type: UInt32)
    case arrayTooDeep(key: String)
    case duplicateKey(String)
    case duplicateTensor(String)
    case badAlignment(Int)
    case tooManyDimensions(tensor: String, count: UInt32)
    case shapeOverflow(tensor: String, dims: [UInt64])
    case unknownTensorType(tensor: String, type: UInt32)
    case unsupportedTensorType(tensor: String, type: String)
    case misalignedTensor(tensor: String, offset: UInt64)
    case tensorOutOfRange(tensor: String, offset: UInt64, bytes: Int, dataBytes: Int)
    case overlappingTensors(String, String)
    case rowNotWholeBlocks(tensor: String, columns: Int, blockSize: Int)
    case missingKey(String)
    case wrongKeyType(key: String, expected: String)
    case missingTensor(String)
    case wrongTensorShape(tensor: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .badMagic(found):
            return "Not a GGUF file: the magic is 0x\(String(found, radix: 16)), expected 0x46554747 (\"GGUF\")."
        case let .unsupportedVersion(v):
            return "Unsupported GGUF version \(v) (supported: 2 and 3)."
        case let .truncated(what, offset, needed, available):
            return "The GGUF file is truncated or corrupt: reading \(what) at byte \(offset) needs \(needed) bytes but only \(available) remain."
        case let .unknownValueType(key, type):
            return "Metadata key '\(key)' has unknown value type \(type)."
        case let .arrayTooDeep(key):
            return "Metadata key '\(key)' nests arrays too deeply."
        case let .duplicateKey(key):
            return "Metadata key '\(key)' appears twice."
        case let .duplicateTensor(name):
            return "Tensor '\(name)' appears twice."
        case let .badAlignment(a):
            return "general.alignment is \(a); it must be a positive power of two."
        case let .tooManyDimensions(name, count):
            return "Tensor '\(name)' has \(count) dimensions (at most 4 are allowed)."
        case let .shapeOverflow(name, dims):
            return "Tensor '\(name)' has dimensions \(dims) whose size overflows."
        case let .unknownTensorType(name, type):
            return "Tensor '\(name)' has unknown tensor type \(type)."
        case let .unsupportedTensorType(name, type):
            return "Tensor '\(name)' is stored as \(type), which LlamaKit does not support yet."
        case let .misalignedTensor(name, offset):
            return "Tensor '\(name)' starts at offset \(offset), which is not a multiple of the file's alignment."
        case let .tensorOutOfRange(name, offset, bytes, dataBytes):
            return "Tensor '\(name)' (\(bytes) bytes at data offset \(offset)) extends past the end of the file's data section (\(dataBytes) bytes)."
        case let .overlappingTensors(a, b):
            return "Tensors '\(a)' and '\(b)' overlap in the file."
        case let .rowNotWholeBlocks(name, columns, blockSize):
            return "Tensor '\(name)' has \(columns) columns, not a multiple of its type's block size \(blockSize)."
        case let .missingKey(key):
            return "Required metadata key '\(key)' is missing."
        case let .wrongKeyType(key, expected):
            return "Metadata key '\(key)' should be \(expected)."
        case let .missingTensor(name):
            return "Required tensor '\(name)' is missing."
        case let .wrongTensorShape(name, expected, found):
            return "Tensor '\(name)' has shape \(found), expected \(expected)."
        }
    }
}
