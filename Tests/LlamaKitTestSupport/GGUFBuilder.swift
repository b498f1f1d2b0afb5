import Foundation
import LlamaKit

/// Writes small GGUF files byte by byte, so tests can build valid files and then break them on purpose.
public struct GGUFBuilder {
    public enum Value {
        case u32(UInt32), i32(Int32), f32(Float), bool(Bool), string(String), u64(UInt64)
        case strings([String]), i32s([Int32])
    }

    public struct Tensor {
        public var name: String
        public var dims: [UInt64]
        public var type: UInt32
        public var data: [UInt8]
        /// Overrides the computed offset (to corrupt it).
        public var offset: UInt64? = nil

        public init(name: String, dims: [UInt64], type: UInt32, data: [UInt8], offset: UInt64? = nil) {
            self.name = name
            self.dims = dims
            self.type = type
            self.data = data
            self.offset = offset
        }
    }

    public init() {}

    public var magic: UInt32 = 0x4655_4747
    public var version: UInt32 = 3
    public var metadata: [(String, Value)] = []
    public var tensors: [Tensor] = []
    public var alignment = 32

    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func putString(_ s: String) { put(UInt64(s.utf8.count)); out += Array(s.utf8) }
        put(magic); put(version); put(UInt64(tensors.count)); put(UInt64(metadata.count))
        for (key, value) in metadata {
            putString(key)
            switch value {
            case let .u32(v): put(UInt32(4)); put(v)
            case let .i32(v): put(UInt32(5)); put(v)
            case let .f32(v): put(UInt32(6)); put(v.bitPattern)
            case let .bool(v): put(UInt32(7)); put(UInt8(v ? 1 : 0))
            case let .string(v): put(UInt32(8)); putString(v)
            case let .u64(v): put(UInt32(10)); put(v)
            case let .strings(v): put(UInt32(9)); put(UInt32(8)); put(UInt64(v.count)); v.forEach(putString)
            case let .i32s(v): put(UInt32(9)); put(UInt32(5)); put(UInt64(v.count)); v.forEach { put($0) }
            }
        }
        var offsets: [UInt64] = []
        var running: UInt64 = 0
        for t in tensors {
            offsets.append(t.offset ?? running)
            running += UInt64((t.data.count + alignment - 1) / alignment * alignment)
        }
        for (t, offset) in zip(tensors, offsets) {
            putString(t.name); put(UInt32(t.dims.count)); t.dims.forEach { put($0) }; put(t.type); put(offset)
        }
        while out.count % alignment != 0 { out.append(0) }
        for t in tensors {
            out += t.data
            while out.count % alignment != 0 { out.append(0) }
        }
        return out
    }

    /// Writes the file to a temporary path.
    public func write(_ bytes: [UInt8]? = nil) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-\(UUID().uuidString).gguf").path
        try Data(bytes ?? self.bytes()).write(to: URL(fileURLWithPath: path))
        return path
    }

    public static func f32Tensor(_ name: String, rows: Int, columns: Int, value: Float = 0.5) -> Tensor {
        var data: [UInt8] = []
        for _ in 0 ..< rows * columns { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
        return Tensor(name: name, dims: rows == 1 ? [UInt64(columns)] : [UInt64(columns), UInt64(rows)], type: 0, data: data)
    }

    /// A complete, tiny Llama model (2 layers, hidden 8, 2 heads / 1 KV head, vocab 16) in float32.
    public static func tinyLlama() -> GGUFBuilder {
        var b = GGUFBuilder()
        b.metadata = [
            ("general.architecture", .string("llama")),
            ("llama.embedding_length", .u32(8)), ("llama.feed_forward_length", .u32(16)),
            ("llama.block_count", .u32(2)), ("llama.attention.head_count", .u32(2)),
            ("llama.attention.head_count_kv", .u32(1)), ("llama.attention.layer_norm_rms_epsilon", .f32(1e-5)),
            ("llama.rope.freq_base", .f32(10000)), ("llama.context_length", .u32(64)), ("llama.vocab_size", .u32(16)),
        ]
        b.tensors.append(f32Tensor("token_embd.weight", rows: 16, columns: 8))
        for i in 0 ..< 2 {
            b.tensors += [
                f32Tensor("blk.\(i).attn_norm.weight", rows: 1, columns: 8),
                f32Tensor("blk.\(i).attn_q.weight", rows: 8, columns: 8),
                f32Tensor("blk.\(i).attn_k.weight", rows: 4, columns: 8),
                f32Tensor("blk.\(i).attn_v.weight", rows: 4, columns: 8),
                f32Tensor("blk.\(i).attn_output.weight", rows: 8, columns: 8),
                f32Tensor("blk.\(i).ffn_norm.weight", rows: 1, columns: 8),
                f32Tensor("blk.\(i).ffn_gate.weight", rows: 16, columns: 8),
                f32Tensor("blk.\(i).ffn_up.weight", rows: 16, columns: 8),
                f32Tensor("blk.\(i).ffn_down.weight", rows: 8, columns: 16),
            ]
        }
        b.tensors.append(f32Tensor("output_norm.weight", rows: 1, columns: 8))
        return b
    }
}
