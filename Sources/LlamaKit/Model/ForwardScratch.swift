/// The activations of one forward pass, sized for `capacity` rows and reused by every pass.
///
/// One per thread that evaluates batches (a ``Session``, or the engine's worker): unlike the model and the
/// KV cache it is written by every op, so it is never shared.
public final class ForwardScratch {
    /// The most rows one pass may hold.
    public let capacity: Int
    let x: any BackendTensor        // residual stream      [capacity, hidden]
    let normed: any BackendTensor   // normalised input     [capacity, hidden]
    let q: any BackendTensor        // queries              [capacity, heads * headDim]
    let k: any BackendTensor        // new keys             [capacity, kvHeads * headDim]
    let v: any BackendTensor        // new values           [capacity, kvHeads * headDim]
    let attended: any BackendTensor // attention output     [capacity, heads * headDim]
    let projected: any BackendTensor // block output        [capacity, hidden]
    let gate: any BackendTensor     // MLP gate             [capacity, ffn]
    let up: any BackendTensor       // MLP up               [capacity, ffn]
    let selected: any BackendTensor // rows whose logits are wanted [capacity, hidden]
    let qkv: [any BackendTensor]    // [q, k, v], the outputs of one multi-projection matmul
    private var logitsRows: (any BackendTensor)?
    private let backend: any Backend
    private let vocabularySize: Int

    init(configuration c: LlamaConfiguration, backend: any Backend, capacity: Int) throws {
        guard capacity > 0 else { throw ModelError.invalidConfiguration("a forward pass needs room for at least one row") }
        self.capacity = capacity
        self.backend = backend
        self.vocabularySize = c.vocabularySize
        let kvWidth = c.kvHeadCount * c.headDim
        func tensor(_ columns: Int) throws -> any BackendTensor {
            try backend.makeTensor(type: .f32, rows: capacity, columns: columns)
        }
        x = try tensor(c.hiddenSize)
        normed = try tensor(c.hiddenSize)
        q = try tensor(c.headCount * c.headDim)
        k = try tensor(kvWidth)
        v = try tensor(kvWidth)
        attended = try tensor(c.headCount * c.headDim)
        projected = try tensor(c.hiddenSize)
        gate = try tensor(c.intermediateSize)
        up = try tensor(c.intermediateSize)
        selected = try tensor(c.hiddenSize)
        qkv = [q, k, v]
    }

    /// Logits for up to `rows` rows at once (allocated on first use and grown as needed: a vocabulary-wide
    /// row per batch row is large, and most passes want one or a few).
    func logits(rows: Int) throws -> any BackendTensor {
        if let existing = logitsRows, existing.rows >= rows { return existing }
        let tensor = try backend.makeTensor(type: .f32, rows: max(rows, 1), columns: vocabularySize)
        logitsRows = tensor
        return tensor
    }
}
