import Foundation
@_spi(Benchmarking) import LlamaKit
import LlamaKitCPU

/// One decoder layer of a large model with random weights, loaded like any model (a one-layer GGUF written
/// to a temporary file, in RAM where possible, and memory-mapped), so a decode step runs exactly the model's code: norms, the QKV
/// job, RoPE, attention over the KV cache, the output projection, the fused gate/up job, down.
///
/// The vocabulary is cut to 16 tokens so the step is the layer (the tied output projection is then 256 KiB of
/// float32, 0.2 % of an 8B Q4_0 layer's weights; with 256 tokens it was 4 MiB, 3 %, timed as if it were layer
/// weights); ``HeadDecode`` times the output projection
/// separately. Long contexts are timed without computing them first: the cache is declared filled
/// (``InferenceState/assumeCached(positions:)``), since attention costs the same whatever the keys hold.
public final class LayerDecode {
    public let shape: LayerShape
    public let type: TensorType
    public let model: LlamaModel
    private let state: InferenceState
    private let path: String

    /// Tokens in the layer's vocabulary (its embedding table doubles as the output projection).
    static let vocabulary = 16

    public init(shape: LayerShape, type: TensorType, backend: CPUBackend, maxContext: Int = 4096) throws {
        self.shape = shape
        self.type = type
        // In RAM (tmpfs) where there is one: a file on disk would still be written back while the steps are
        // timed, and on a small machine the flusher threads and the disk traffic slow the measurement.
        let folder = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()
        path = folder + "llamakit-layer-\(shape.hidden)-\(type)-\(getpid()).gguf"
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("general.name", .string("\(shape.name) layer, random \(type)"))
        writer.set("llama.embedding_length", .uint32(UInt32(shape.hidden)))
        writer.set("llama.feed_forward_length", .uint32(UInt32(shape.ffn)))
        writer.set("llama.block_count", .uint32(1))
        writer.set("llama.attention.head_count", .uint32(UInt32(shape.heads)))
        writer.set("llama.attention.head_count_kv", .uint32(UInt32(shape.kvHeads)))
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        writer.set("llama.rope.freq_base", .float32(500_000))
        writer.set("llama.context_length", .uint32(131_072))
        writer.set("llama.vocab_size", .uint32(UInt32(Self.vocabulary)))
        let hidden = shape.hidden
        writer.add(name: "token_embd.weight", type: .f32, rows: Self.vocabulary, columns: hidden) {
            RandomWeights.tensor(name: "token_embd.weight", type: .f32, rows: Self.vocabulary, columns: hidden, seed: 1)
        }
        writer.add(name: "output_norm.weight", type: .f32, rows: 1, columns: hidden, isVector: true) {
            RandomWeights.ones(name: "output_norm.weight", count: hidden)
        }
        for norm in ["attn_norm", "ffn_norm"] {
            writer.add(name: "blk.0.\(norm).weight", type: .f32, rows: 1, columns: hidden, isVector: true) {
                RandomWeights.ones(name: norm, count: hidden)
            }
        }
        for (index, matrix) in shape.matrices.enumerated() {
            let name = "blk.0.\(matrix.name).weight"
            writer.add(name: name, type: type, rows: matrix.rows, columns: matrix.columns) {
                RandomWeights.tensor(name: name, type: type, rows: matrix.rows, columns: matrix.columns, seed: UInt64(index + 2))
            }
        }
        try writer.write(to: path)
        // Finish any writeback before timing (a no-op on tmpfs).
        let descriptor = open(path, O_RDONLY)
        if descriptor >= 0 { _ = fsync(descriptor); _ = close(descriptor) }
        model = try LlamaModel(gguf: GGUFFile(path: path), backend: backend)
        state = try model.makeState(contextLength: maxContext + 1, batchCapacity: 1)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// One decode step with `context` positions already in the cache.
    public func step(context: Int) throws {
        try state.assumeCached(positions: context)
        _ = try model.forward([1], state: state)
    }
}

/// The output projection of a large model (vocabulary × hidden) as one decode matmul.
public final class HeadDecode {
    private let backend: CPUBackend
    private let weight: any BackendTensor
    private let input: any BackendTensor
    private let output: any BackendTensor

    public init(shape: LayerShape, type: TensorType, backend: CPUBackend) throws {
        self.backend = backend
        weight = try backend.weight(RandomWeights.tensor(name: "output.weight", type: type, rows: shape.vocabulary,
                                                         columns: shape.hidden, seed: 99))
        input = try backend.makeTensor(type: .f32, rows: 1, columns: shape.hidden)
        output = try backend.makeTensor(type: .f32, rows: 1, columns: shape.vocabulary)
        try backend.write((0 ..< shape.hidden).map { Float($0 % 7) - 3 }, to: input, firstRow: 0)
    }

    public func step() throws { try backend.matmul(input, weight: weight, into: output, rows: 1) }
}
