import Foundation

/// The safetensors weights of a Hugging Face model folder: one `model.safetensors`, or shards listed by
/// `model.safetensors.index.json` (its `weight_map` says which shard holds each tensor).
///
/// Every shard is mapped, never read into memory, so a 141 GB 70B folder costs address space, not RAM.
public final class SafetensorsCheckpoint: @unchecked Sendable {
    /// The opened shard for each tensor name.
    private let location: [String: SafetensorsFile]
    /// Every shard file, in name order.
    public let files: [SafetensorsFile]

    /// Opens the weights of `folder`, preferring the index when there is one.
    public init(folder: String) throws {
        let url = URL(fileURLWithPath: folder)
        let indexPath = url.appendingPathComponent("model.safetensors.index.json").path
        let singlePath = url.appendingPathComponent("model.safetensors").path
        var location: [String: SafetensorsFile] = [:]
        if FileManager.default.fileExists(atPath: indexPath) {
            let weightMap = try Self.readWeightMap(indexPath)
            var opened: [String: SafetensorsFile] = [:]
            for shard in Set(weightMap.values).sorted() {
                // Shard names are plain file names; anything with a path separator could point outside the folder.
                guard !shard.contains("/"), shard != "..", shard != "." else {
                    throw SafetensorsError.badJSON(path: indexPath, reason: "shard name '\(shard)' is not a file name")
                }
                let shardPath = url.appendingPathComponent(shard).path
                guard FileManager.default.fileExists(atPath: shardPath) else {
                    throw SafetensorsError.missingShard(index: indexPath, shard: shard)
                }
                opened[shard] = try SafetensorsFile(path: shardPath)
            }
            for (name, shard) in weightMap {
                guard let file = opened[shard], file.tensors[name] != nil else {
                    throw SafetensorsError.missingTensor("\(name) (the index places it in \(shard))")
                }
                location[name] = file
            }
            files = opened.keys.sorted().compactMap { opened[$0] }
        } else if FileManager.default.fileExists(atPath: singlePath) {
            let file = try SafetensorsFile(path: singlePath)
            for name in file.tensors.keys { location[name] = file }
            files = [file]
        } else {
            throw FileError.cannotOpen(path: folder, reason: "no model.safetensors or model.safetensors.index.json in the folder")
        }
        self.location = location
    }

    private static func readWeightMap(_ path: String) throws -> [String: String] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FileError.cannotOpen(path: path, reason: "\(error)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw SafetensorsError.badJSON(path: path, reason: "the index is not a JSON object")
        }
        guard let map = object["weight_map"] as? [String: Any] else {
            throw SafetensorsError.badJSON(path: path, reason: "the index has no weight_map object")
        }
        var result: [String: String] = [:]
        for (name, value) in map {
            guard let shard = value as? String else {
                throw SafetensorsError.badJSON(path: path, reason: "weight_map[\(name)] is not a file name")
            }
            result[name] = shard
        }
        return result
    }

    /// Every tensor name in the checkpoint.
    public var tensorNames: [String] { location.keys.sorted() }

    /// Whether the checkpoint holds `name`.
    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// The header entry of `name`, if present.
    public func info(_ name: String) -> SafetensorsFile.TensorInfo? { location[name]?.tensors[name] }

    /// A zero-copy view of tensor `name` in its shard's mapping.
    public func tensor(_ name: String) throws -> HostTensor {
        guard let file = location[name] else { throw SafetensorsError.missingTensor(name) }
        return try file.tensor(name)
    }

    /// Total bytes of all tensors.
    public var totalBytes: Int {
        location.reduce(0) { $0 + ($1.value.tensors[$1.key]?.byteRange.count ?? 0) }
    }
}
