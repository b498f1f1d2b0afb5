/// A tensor that lives where a backend keeps it: host memory for the CPU, device memory for a GPU.
///
/// The model never looks inside; it passes these handles back to the backend that made them.
/// Shapes are two-dimensional: `columns` is contiguous, `rows` the outer dimension.
public protocol BackendTensor: AnyObject, Sendable {
    var type: TensorType { get }
    var rows: Int { get }
    var columns: Int { get }
}

/// How RoPE pairs the dimensions of a head.
public enum RopeLayout: Sendable, Equatable {
    /// Adjacent pairs (x[2i], x[2i+1]): Meta's original layout and GGUF files (llama.cpp permutes q/k on conversion).
    case interleaved
    /// Halves (x[i], x[i + d/2]): Hugging Face "rotate_half" layout (NeoX style).
    case halves
}

/// The ops a backend may or may not implement for a given storage type.
public enum BackendOp: Sendable, Hashable {
    case getRows, matmul, rmsNorm, rope, attention, swiglu, add, copyRows, storeRows
}

/// A compute backend: a small set of ops over tensors it owns (the ggml backend idea).
///
/// The model graph is written only against this protocol, so it never knows which device it runs on.
/// Weights are handed over once with ``weight(_:)`` (the CPU wraps mmapped bytes without copying; a GPU
/// uploads them); activations and KV caches come from ``makeTensor(type:rows:columns:)``. Every op reads and
/// writes backend tensors; only ``read(_:rows:)`` brings values back to the host.
///
/// Ops that take `rows` act on the first `rows` rows of their operands, so scratch tensors can be sized for
/// the largest batch and reused for smaller ones. A backend is shared by every session of a model and must be
/// safe to call from several threads (it may serialise internally).
public protocol Backend: AnyObject, Sendable {
    /// A short name for messages and benchmarks ("cpu", "opencl").
    var name: String { get }

    /// Whether `op` is implemented for weights (or tables) stored as `type`.
    func supports(_ op: BackendOp, type: TensorType) -> Bool

    /// Takes a weight tensor from host memory. The result may alias `host.bytes` (which stays valid
    /// through `host.owner`) or be a device copy.
    func weight(_ host: HostTensor) throws -> any BackendTensor

    /// A new zero-filled tensor for activations or caches (`.f32`, or `.f16` for caches if supported).
    func makeTensor(type: TensorType, rows: Int, columns: Int) throws -> any BackendTensor

    /// Writes host floats into rows `[firstRow, firstRow + values.count / columns)` of an f32 tensor.
    func write(_ values: [Float], to tensor: any BackendTensor, firstRow: Int) throws

    /// Reads rows of an f32 tensor back to the host, row-major.
    func read(_ tensor: any BackendTensor, rows: Range<Int>) throws -> [Float]

    /// `out[i, :] = table[ids[i], :]` as f32 (embedding lookup; `table` may be quantized).
    func getRows(_ table: any BackendTensor, ids: [Int32], into out: any BackendTensor) throws

    /// `out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + epsilon) * weight` for the first `rows` rows.
    func rmsNorm(_ x: any BackendTensor, weight: any BackendTensor, epsilon: Float,
                 into out: any BackendTensor, rows: Int) throws

    /// `out[r, n] = sum_k x[r, k] * weight[n, k]` for the first `rows` rows (x·Wᵀ, as in `nn.Linear`).
    /// `out` may have more columns than `weight.rows` only if it is at least that wide; it uses the first
    /// `weight.rows` columns.
    func matmul(_ x: any BackendTensor, weight: any BackendTensor, into out: any BackendTensor, rows: Int) throws

    /// Several projections of the same input: `outputs[i][r, :] = x[r, :] · weights[i]ᵀ` for the first `rows`
    /// rows (attention's Q, K and V). A backend may run them as one pass over its threads; the default calls
    /// ``matmul(_:weight:into:rows:)`` for each.
    func matmul(_ x: any BackendTensor, weights: [any BackendTensor], into outputs: [any BackendTensor], rows: Int) throws

    /// The SwiGLU feed-forward input: `out = silu(x · gateᵀ) * (x · upᵀ)` for the first `rows` rows, with
    /// `scratch` (shaped like `out`) for the up projection. The default is two matmuls and
    /// ``swiglu(gate:up:into:rows:)``; a backend may fuse them into one pass.
    func gatedMatmul(_ x: any BackendTensor, gate: any BackendTensor, up: any BackendTensor,
                     into out: any BackendTensor, scratch: any BackendTensor, rows: Int) throws

    /// Rotates each head of `x` in place by its position: row `r` has position `positions[r]`
    /// (`positions.count == rows`). `inverseFrequencies` has `headDim / 2` entries (already including any
    /// frequency scaling).
    func rope(_ x: any BackendTensor, rows: Int, heads: Int, headDim: Int, positions: [Int32],
              inverseFrequencies: [Float], layout: RopeLayout) throws

    /// Copies rows `[sourceRow, sourceRow + rows)` of `source` to rows starting at `destinationRow` of
    /// `destination` (stores new keys/values into a KV cache; picks the last row for logits).
    func copyRows(_ source: any BackendTensor, sourceRow: Int, into destination: any BackendTensor,
                  destinationRow: Int, rows: Int) throws

    /// Copies row `i` of `source` to row `slots[i]` of `destination` for every `i < slots.count` (stores a batch's
    /// new keys and values into the cache rows its sequences were given). Slots are distinct.
    func storeRows(_ source: any BackendTensor, into destination: any BackendTensor, slots: [Int32]) throws

    /// Grouped-query attention of each query row over its own sequence's cached keys and values.
    ///
    /// Query row `r` attends to the cache rows `layout.slots[layout.rowStart[r] ..< layout.rowStart[r] +
    /// layout.rowLength[r]]`, in that order (its sequence's positions `0 ... position(r)`), so rows of different
    /// sequences never see each other's cache. Query head `h` uses KV head `h / (heads / kvHeads)`. `out` gets
    /// `heads * headDim` columns per row.
    func attention(query: any BackendTensor, keys: any BackendTensor, values: any BackendTensor,
                   into out: any BackendTensor, rows: Int, layout: AttentionLayout,
                   heads: Int, kvHeads: Int, headDim: Int, scale: Float) throws

    /// `out = silu(gate) * up`, elementwise over the first `rows` rows.
    func swiglu(gate: any BackendTensor, up: any BackendTensor, into out: any BackendTensor, rows: Int) throws

    /// `accumulator += x` over the first `rows` rows (the residual connection).
    func add(_ x: any BackendTensor, into accumulator: any BackendTensor, rows: Int) throws
}

extension Backend {
    /// RoPE for rows at consecutive positions: row `r` has position `firstPosition + r`.
    public func rope(_ x: any BackendTensor, rows: Int, heads: Int, headDim: Int, firstPosition: Int,
                     inverseFrequencies: [Float], layout: RopeLayout) throws {
        guard firstPosition >= 0, rows >= 0, firstPosition + rows <= Int(Int32.max) else {
            throw BackendError.shapeMismatch("rope of \(rows) rows from position \(firstPosition)")
        }
        try rope(x, rows: rows, heads: heads, headDim: headDim,
                 positions: (0 ..< rows).map { Int32(firstPosition + $0) },
                 inverseFrequencies: inverseFrequencies, layout: layout)
    }

    /// Causal attention of one sequence held contiguously: query row `r` (position `firstPosition + r`) attends
    /// to cache rows `0 ... firstPosition + r`.
    public func attention(query: any BackendTensor, keys: any BackendTensor, values: any BackendTensor,
                          into out: any BackendTensor, rows: Int, firstPosition: Int,
                          heads: Int, kvHeads: Int, headDim: Int, scale: Float) throws {
        guard firstPosition >= 0, rows >= 0, firstPosition + rows <= Int(Int32.max) else {
            throw BackendError.shapeMismatch("attention of \(rows) rows from position \(firstPosition)")
        }
        try attention(query: query, keys: keys, values: values, into: out, rows: rows,
                      layout: .contiguous(rows: rows, firstPosition: firstPosition),
                      heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
    }

    public func matmul(_ x: any BackendTensor, weights: [any BackendTensor], into outputs: [any BackendTensor], rows: Int) throws {
        guard weights.count == outputs.count else {
            throw BackendError.shapeMismatch("\(weights.count) weights for \(outputs.count) outputs")
        }
        for (weight, output) in zip(weights, outputs) { try matmul(x, weight: weight, into: output, rows: rows) }
    }

    public func gatedMatmul(_ x: any BackendTensor, gate: any BackendTensor, up: any BackendTensor,
                            into out: any BackendTensor, scratch: any BackendTensor, rows: Int) throws {
        try matmul(x, weight: gate, into: out, rows: rows)
        try matmul(x, weight: up, into: scratch, rows: rows)
        try swiglu(gate: out, up: scratch, into: out, rows: rows)
    }
}

/// Errors a backend reports.
public enum BackendError: Error, Equatable, CustomStringConvertible {
    case unsupported(op: BackendOp, type: TensorType, backend: String)
    case foreignTensor(backend: String)
    case shapeMismatch(String)
    case outOfMemory(bytes: Int, backend: String)
    case device(String)

    public var description: String {
        switch self {
        case let .unsupported(op, type, backend):
            return "The \(backend) backend has no \(op) for \(type) tensors."
        case let .foreignTensor(backend):
            return "A tensor made by another backend was passed to the \(backend) backend."
        case let .shapeMismatch(message):
            return "Shape mismatch: \(message)"
        case let .outOfMemory(bytes, backend):
            return "The \(backend) backend could not allocate \(bytes) bytes."
        case let .device(message):
            return "Device error: \(message)"
        }
    }
}
