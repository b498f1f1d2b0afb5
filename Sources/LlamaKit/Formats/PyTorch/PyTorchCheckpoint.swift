/// One `torch.save` file (a zip holding `data.pkl` and one entry per storage), memory-mapped.
///
/// The pickle is read by ``RestrictedUnpickler``, which refuses anything but tensors and dictionaries, and
/// tensors are zero-copy views of their storage entries.
public final class PyTorchCheckpoint: @unchecked Sendable {
    /// The `.pth` file.
    public let path: String
    private let file: MappedFile
    private let tensors: [String: RestrictedUnpickler.PickledTensor]
    private let archive: ZipArchive
    private let prefix: String

    /// Maps `path` and reads its state dict.
    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        archive = try ZipArchive(bytes: file.bytes, path: path)
        // The archive's top folder is named after the file ("consolidated.00/") or "archive/".
        guard let pickleName = archive.entries.keys.filter({ $0.hasSuffix("/data.pkl") || $0 == "data.pkl" }).min(by: { $0.count < $1.count }),
              let entry = archive.entries[pickleName] else {
            throw PyTorchError.missingEntry("data.pkl")
        }
        guard !entry.compressed else { throw PyTorchError.compressedEntry(pickleName) }
        prefix = String(pickleName.dropLast("data.pkl".count))
        let value = try RestrictedUnpickler.load(UnsafeRawBufferPointer(rebasing: file.bytes[entry.data]))
        guard case let .dict(items) = value else {
            throw PyTorchError.malformedPickle(reason: "the checkpoint is not a dictionary of tensors", offset: 0)
        }
        var tensors: [String: RestrictedUnpickler.PickledTensor] = [:]
        for (key, item) in items {
            // Non-tensor entries (Llama 2's "rope.freqs" is a tensor; other metadata is skipped).
            guard case let .string(name) = key, case let .tensor(tensor) = item else { continue }
            tensors[name] = tensor
        }
        self.tensors = tensors
    }

    /// Every tensor name in the state dict.
    public var tensorNames: [String] { tensors.keys.sorted() }

    /// The PyTorch shape of `name`, if present.
    public func shape(_ name: String) -> [Int]? { tensors[name]?.shape }

    /// A zero-copy view of tensor `name` (contiguous tensors only): last dimension `columns`, the rest `rows`.
    public func tensor(_ name: String) throws -> HostTensor {
        guard let t = tensors[name] else { throw SafetensorsError.missingTensor(name) }
        let entryName = prefix + "data/" + t.storageKey
        guard let entry = archive.entries[entryName] else { throw PyTorchError.missingEntry(entryName) }
        guard !entry.compressed else { throw PyTorchError.compressedEntry(entryName) }
        guard t.shape.count == t.stride.count, t.shape.count <= 4, t.shape.allSatisfy({ $0 >= 0 }), t.offset >= 0 else {
            throw PyTorchError.badTensorLayout(tensor: name, reason: "shape \(t.shape) with stride \(t.stride)")
        }
        var expected = 1
        for (size, stride) in zip(t.shape, t.stride).reversed() {
            guard size == 1 || stride == expected else {
                throw PyTorchError.badTensorLayout(tensor: name, reason: "not contiguous (shape \(t.shape), stride \(t.stride))")
            }
            let (product, overflow) = expected.multipliedReportingOverflow(by: size)
            guard !overflow else { throw PyTorchError.badTensorLayout(tensor: name, reason: "shape \(t.shape) overflows") }
            expected = product
        }
        let elementBytes = t.type.blockBytes
        let (start, o1) = t.offset.multipliedReportingOverflow(by: elementBytes)
        let (count, o2) = expected.multipliedReportingOverflow(by: elementBytes)
        guard !o1, !o2, start <= entry.data.count, count <= entry.data.count - start else {
            throw PyTorchError.badTensorLayout(tensor: name, reason: "runs past its \(entry.data.count)-byte storage")
        }
        let begin = entry.data.lowerBound + start
        return HostTensor(name: name, type: t.type, rows: t.shape.dropLast().reduce(1, *), columns: t.shape.last ?? 1,
                          bytes: UnsafeRawBufferPointer(rebasing: file.bytes[begin ..< begin + count]), owner: file)
    }
}
