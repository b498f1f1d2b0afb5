import LlamaKit

/// The sizes of one Llama decoder layer and of the model it comes from.
public struct LayerShape: Sendable, CustomStringConvertible {
    public let name: String
    public let hidden: Int
    public let heads: Int
    public let kvHeads: Int
    public let ffn: Int
    /// Layers in the full model.
    public let layers: Int
    public let vocabulary: Int

    public var headDim: Int { hidden / heads }
    public var description: String { name }

    /// Llama 3.1 8B: hidden 4096, 32 heads over 8 KV heads, FFN 14336, 32 layers.
    public static let llama31_8B = LayerShape(name: "Llama 3.1 8B", hidden: 4096, heads: 32, kvHeads: 8, ffn: 14336,
                                              layers: 32, vocabulary: 128_256)
    /// Llama 3.1 70B: hidden 8192, 64 heads over 8 KV heads, FFN 28672, 80 layers.
    public static let llama31_70B = LayerShape(name: "Llama 3.1 70B", hidden: 8192, heads: 64, kvHeads: 8, ffn: 28672,
                                               layers: 80, vocabulary: 128_256)

    /// The seven matrices of a layer as (GGUF name suffix, rows, columns).
    public var matrices: [(name: String, rows: Int, columns: Int)] {
        let kv = kvHeads * headDim
        return [("attn_q", hidden, hidden), ("attn_k", kv, hidden), ("attn_v", kv, hidden), ("attn_output", hidden, hidden),
                ("ffn_gate", ffn, hidden), ("ffn_up", ffn, hidden), ("ffn_down", hidden, ffn)]
    }

    /// Parameters of one layer's matrices.
    public var layerParameters: Int { matrices.reduce(0) { $0 + $1.rows * $1.columns } }

    /// Bytes one layer's weights take in `type` (norm vectors are f32).
    public func layerBytes(_ type: TensorType) -> Int {
        matrices.reduce(0) { $0 + $1.rows * (type.rowBytes(columns: $1.columns) ?? 0) } + 2 * hidden * 4
    }

    /// Bytes of the output projection (vocabulary × hidden) in `type`.
    public func headBytes(_ type: TensorType) -> Int { vocabulary * (type.rowBytes(columns: hidden) ?? 0) }

    /// Bytes the whole model takes with every matrix in `type`: layers, embedding table and output projection.
    public func modelBytes(_ type: TensorType) -> Int { layers * layerBytes(type) + 2 * headBytes(type) + hidden * 4 }

    /// Bytes a decode step reads: every layer, the output projection, and one embedding row.
    public func bytesPerToken(_ type: TensorType) -> Int { layers * layerBytes(type) + headBytes(type) }

    /// KV cache bytes (float32 keys and values) for `positions` positions.
    public func kvCacheBytes(positions: Int) -> Int { layers * 2 * positions * kvHeads * headDim * 4 }
}
