/// Why a PyTorch `.pth` checkpoint could not be read.
public enum PyTorchError: Error, Equatable, CustomStringConvertible {
    /// The file is not a readable zip archive (torch.save's format since PyTorch 1.6).
    case badZip(path: String, reason: String)
    /// A needed archive entry is missing.
    case missingEntry(String)
    /// An archive entry is compressed; tensors are read in place, so only stored entries work.
    case compressedEntry(String)
    /// The pickle names a global outside the small allow-list a state dict needs. Nothing is executed.
    case forbiddenGlobal(module: String, name: String)
    /// The pickle uses an opcode the restricted unpickler does not implement.
    case unsupportedOpcode(opcode: UInt8, offset: Int)
    /// The pickle is truncated or inconsistent.
    case malformedPickle(reason: String, offset: Int)
    /// A storage type other than Float/Half/BFloat16.
    case unsupportedStorage(String)
    /// A tensor is not a contiguous row-major view, or runs past its storage.
    case badTensorLayout(tensor: String, reason: String)

    public var description: String {
        switch self {
        case let .badZip(path, reason): return "\(path) is not a readable PyTorch zip checkpoint: \(reason)"
        case let .missingEntry(name): return "The checkpoint archive has no entry '\(name)'."
        case let .compressedEntry(name): return "Archive entry '\(name)' is compressed; LlamaKit reads only stored (uncompressed) entries, as torch.save writes them."
        case let .forbiddenGlobal(module, name): return "The checkpoint's pickle asks for '\(module).\(name)', which is not allowed in a state dict; refusing to load it."
        case let .unsupportedOpcode(opcode, offset): return "Unsupported pickle opcode 0x\(String(opcode, radix: 16)) at offset \(offset)."
        case let .malformedPickle(reason, offset): return "Malformed pickle at offset \(offset): \(reason)"
        case let .unsupportedStorage(name): return "Unsupported tensor storage type \(name) (supported: FloatStorage, HalfStorage, BFloat16Storage)."
        case let .badTensorLayout(tensor, reason): return "Tensor '\(tensor)': \(reason)"
        }
    }
}
