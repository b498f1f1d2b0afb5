/// Keys and values of every layer for `rows` cache rows, on the model's backend.
///
/// Which row holds which sequence's position is decided outside: a single ``InferenceState`` keeps its
/// sequence at rows `0 ..< contextLength`; the engine's ``KVBlockManager`` hands out fixed-size blocks of rows
/// to many sequences.
public struct KVCache: Sendable {
    /// Per layer: `rows × (kvHeads · headDim)` float32.
    let keys: [any BackendTensor]
    let values: [any BackendTensor]
    /// Cache rows (positions) it can hold.
    public let rows: Int

    init(configuration c: LlamaConfiguration, backend: any Backend, rows: Int) throws {
        guard rows > 0 else { throw ModelError.invalidConfiguration("a KV cache needs at least one row") }
        let width = c.kvHeadCount * c.headDim
        let (_, overflow) = rows.multipliedReportingOverflow(by: width * 4 * 2 * max(c.layerCount, 1))
        guard !overflow else { throw ModelError.invalidConfiguration("a KV cache of \(rows) rows overflows") }
        self.rows = rows
        keys = try (0 ..< c.layerCount).map { _ in try backend.makeTensor(type: .f32, rows: rows, columns: width) }
        values = try (0 ..< c.layerCount).map { _ in try backend.makeTensor(type: .f32, rows: rows, columns: width) }
    }

    /// Bytes held (float32 keys and values of every layer).
    public var bytes: Int { 2 * keys.count * rows * (keys.first?.columns ?? 0) * 4 }
}
