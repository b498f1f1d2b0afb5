/// Joins the model-parallel shards of a Meta checkpoint (`consolidated.00.pth` … `.NN.pth`) tensor by tensor.
///
/// Meta's reference code splits column-parallel layers (wq, wk, wv, w1, w3, output) along dim 0 and
/// row-parallel layers (wo, w2) along dim 1; norms are replicated. The embedding is split along dim 1 by
/// Llama 2's `ParallelEmbedding` and along dim 0 by Llama 3's `VocabParallelEmbedding`, so its dimension is
/// read from the shard shape. One shard is used in place; several are copied into one allocation.
struct MetaShardMerger {
    let shards: [PyTorchCheckpoint]
    let hiddenSize: Int

    func tensor(_ name: String) throws -> HostTensor {
        guard let first = shards.first else { throw SafetensorsError.missingTensor(name) }
        let head = try first.tensor(name)
        if shards.count == 1 || name.hasSuffix("norm.weight") || name == "rope.freqs" { return head }
        let parts = try shards.map { try $0.tensor(name) }
        guard parts.allSatisfy({ $0.type == head.type && $0.rows == head.rows && $0.columns == head.columns }) else {
            throw CheckpointError.wrongTensorShape(tensor: name, expected: [head.rows, head.columns],
                                                   found: parts.map { $0.rows * $0.columns })
        }
        let alongColumns: Bool
        if name == "tok_embeddings.weight" {
            alongColumns = head.columns != hiddenSize
        } else {
            alongColumns = name.hasSuffix("attention.wo.weight") || name.hasSuffix("feed_forward.w2.weight")
        }
        let total = parts.reduce(0) { $0 + $1.bytes.count }
        let allocation = HostAllocation(count: total)
        let destination = allocation.pointer
        if alongColumns {
            // Row r of the result is row r of every shard, side by side.
            let rowBytes = head.rowBytes
            for r in 0 ..< head.rows {
                for (s, part) in parts.enumerated() {
                    guard let base = part.bytes.baseAddress else { continue }
                    (destination + (r * parts.count + s) * rowBytes).copyMemory(from: base + r * rowBytes, byteCount: rowBytes)
                }
            }
            parts.forEach { $0.releaseMappedPages() }
            return HostTensor(name: name, type: head.type, rows: head.rows, columns: head.columns * parts.count,
                              bytes: allocation.buffer, owner: allocation)
        }
        var offset = 0
        for part in parts {
            guard let base = part.bytes.baseAddress else { continue }
            (destination + offset).copyMemory(from: base, byteCount: part.bytes.count)
            offset += part.bytes.count
        }
        // The merged copy replaces the shard views for good.
        parts.forEach { $0.releaseMappedPages() }
        return HostTensor(name: name, type: head.type, rows: head.rows * parts.count, columns: head.columns,
                          bytes: allocation.buffer, owner: allocation)
    }
}
