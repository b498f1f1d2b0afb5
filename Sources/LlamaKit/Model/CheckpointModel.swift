import Foundation

/// A network loaded from a checkpoint folder as users download it: a Hugging Face folder
/// (`config.json`, safetensors) or Meta's original format (`params.json`, `consolidated.*.pth`).
///
/// Matrices stay in their stored type (bf16/f16/f32) and are read from the mapped files without copying.
/// Tokenizer files are not read here, so this works for token-id level use (logits, benchmarks) whether or
/// not the folder has them.
public final class CheckpointModel: Sendable {
    /// Which layout the folder used.
    public enum Format: String, Sendable {
        case huggingFace
        case meta
    }

    /// The loaded network, ready for ``LlamaModel/forward(_:state:logits:)``.
    public let network: LlamaModel
    /// Which layout the folder used.
    public let format: Format
    /// The folder it was loaded from.
    public let folder: String
    /// Beginning-of-sequence id from the configuration, if any.
    public let bosTokenID: Int?
    /// End-of-sequence ids: `generation_config.json`'s list when present, else `config.json`'s.
    public let eosTokenIDs: [Int]
    /// Sampling defaults from `generation_config.json` (Hugging Face folders that have one).
    public let generationDefaults: GenerationDefaults?
    /// Bytes of weights as stored in the files.
    public let storedWeightBytes: Int
    /// Bytes of weights as held for the backend (stored matrices plus f32 norms, or quantized blocks).
    public let loadedWeightBytes: Int

    init(network: LlamaModel, format: Format, folder: String, bosTokenID: Int?, eosTokenIDs: [Int],
         generationDefaults: GenerationDefaults?, storedWeightBytes: Int, loadedWeightBytes: Int) {
        self.network = network
        self.format = format
        self.folder = folder
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.generationDefaults = generationDefaults
        self.storedWeightBytes = storedWeightBytes
        self.loadedWeightBytes = loadedWeightBytes
    }

    /// Whether `path` is a directory (a checkpoint folder rather than a GGUF file).
    public static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Loads the checkpoint in `folder` onto `backend`.
    ///
    /// - Parameters:
    ///   - quantization: `.q8_0` or `.q4_0` converts every matrix to that block format as it is loaded
    ///   (norms stay f32); `nil` keeps the stored types.
    ///   - progress: called as weights are handed to the backend with (bytes done, bytes total).
    public static func load(folder: String, backend: any Backend, quantization: TensorType? = nil,
                            progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> CheckpointModel {
        if let quantization, !Quantizer.supportedTypes.contains(quantization) {
            throw CheckpointError.unsupportedTensorType(tensor: "(quantize on load)", type: quantization)
        }
        let transform: (HostTensor) throws -> HostTensor = { host in
            guard let quantization else { return host }
            return try Quantizer.quantize(host, to: quantization)
        }
        let url = URL(fileURLWithPath: folder)
        let fm = FileManager.default
        if fm.fileExists(atPath: url.appendingPathComponent("config.json").path) {
            return try loadHuggingFace(folder: folder, backend: backend, transform: transform, progress: progress)
        }
        if fm.fileExists(atPath: url.appendingPathComponent("params.json").path) {
            return try loadMeta(folder: folder, backend: backend, transform: transform, progress: progress)
        }
        throw CheckpointError.unrecognizedFolder(folder)
    }

    static func loadHuggingFace(folder: String, backend: any Backend, transform: (HostTensor) throws -> HostTensor,
                                progress: ((_ done: Int, _ total: Int) -> Void)?) throws -> CheckpointModel {
        let config = try HuggingFaceConfiguration(folder: folder)
        let checkpoint = try SafetensorsCheckpoint(folder: folder)
        let weights = CheckpointWeights(names: .huggingFace, tensor: checkpoint.tensor, contains: checkpoint.contains,
                                        totalBytes: checkpoint.totalBytes)
        // HF's q/k rows are laid out for rotate_half, which the backends implement directly (.halves):
        // no permutation and no copy.
        let (network, resident) = try LlamaModel.build(
            configuration: config.llama, weights: weights, tied: config.tieWordEmbeddings,
            inverseFrequencies: config.inverseFrequencies, ropeLayout: .halves, backend: backend, transform: transform, progress: progress)
        var generation: GenerationDefaults? = nil
        let generationPath = URL(fileURLWithPath: folder).appendingPathComponent("generation_config.json")
        if FileManager.default.fileExists(atPath: generationPath.path) {
            generation = try GenerationDefaults(data: try Data(contentsOf: generationPath), file: generationPath.path)
        }
        let eos = (generation?.eosTokenIDs.isEmpty == false ? generation?.eosTokenIDs : nil) ?? config.eosTokenIDs
        return CheckpointModel(network: network, format: .huggingFace, folder: folder,
                               bosTokenID: config.bosTokenID ?? generation?.bosTokenID, eosTokenIDs: eos,
                               generationDefaults: generation, storedWeightBytes: checkpoint.totalBytes,
                               loadedWeightBytes: resident)
    }
}

extension CheckpointModel {
    static func loadMeta(folder: String, backend: any Backend, transform: (HostTensor) throws -> HostTensor,
                         progress: ((_ done: Int, _ total: Int) -> Void)?) throws -> CheckpointModel {
        let url = URL(fileURLWithPath: folder)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix("consolidated.") && $0.hasSuffix(".pth") }.sorted()
        // Shards are numbered 00, 01, ... with none missing.
        guard !names.isEmpty else { throw CheckpointError.unrecognizedFolder(folder) }
        for (i, name) in names.enumerated() where name != String(format: "consolidated.%02d.pth", i) {
            throw CheckpointError.badConfigurationValue(file: url.appendingPathComponent(name).path, key: "(file name)",
                                                        reason: "is out of sequence: expected consolidated.\(String(format: "%02d", i)).pth")
        }
        let shards = try names.map { try PyTorchCheckpoint(path: url.appendingPathComponent($0).path) }
        let paramsPath = url.appendingPathComponent("params.json")
        let data: Data
        do { data = try Data(contentsOf: paramsPath) } catch { throw FileError.cannotOpen(path: paramsPath.path, reason: "cannot read the file") }
        // Llama 2 writes vocab_size -1: the embedding's shape tells. Split along the vocabulary (Llama 3),
        // each shard's rows are a slice; split along the width (Llama 2), each shard has every row.
        var fallback: Int? = nil
        if let shape = shards[0].shape("tok_embeddings.weight"), shape.count == 2,
           let params = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let dim = JSONNumber.int(params["dim"]) {
            fallback = shape[1] == dim ? shape[0] * shards.count : shape[0]
        }
        let config = try MetaConfiguration(data: data, file: paramsPath.path, vocabularySizeFallback: fallback)
        let merger = MetaShardMerger(shards: shards, hiddenSize: config.llama.hiddenSize)
        let stored = try shards.reduce(0) { sum, shard in
            try shard.tensorNames.reduce(sum) { $0 + (try shard.tensor($1)).bytes.count }
        }
        let weights = CheckpointWeights(names: .meta, tensor: merger.tensor,
                                        contains: { shards[0].shape($0) != nil }, totalBytes: stored)
        // Meta's q/k rows use adjacent-pair rotation, which the backends implement as .interleaved.
        let (network, resident) = try LlamaModel.build(
            configuration: config.llama, weights: weights, tied: false, inverseFrequencies: config.inverseFrequencies,
            ropeLayout: .interleaved, backend: backend, transform: transform, progress: progress)
        return CheckpointModel(network: network, format: .meta, folder: folder, bosTokenID: nil, eosTokenIDs: [],
                               generationDefaults: nil, storedWeightBytes: stored, loadedWeightBytes: resident)
    }
}

extension LlamaModel {
    /// Loads the network of a checkpoint folder (Hugging Face or Meta); see ``CheckpointModel``.
    public static func load(folder: String, backend: any Backend, quantization: TensorType? = nil,
                            progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> LlamaModel {
        try CheckpointModel.load(folder: folder, backend: backend, quantization: quantization, progress: progress).network
    }
}
