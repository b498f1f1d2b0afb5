/// Which cached keys and values each query row of a batch attends to.
///
/// A batch mixes rows of several sequences (decode steps of running requests and chunks of new prompts), and
/// the KV cache stores each sequence in blocks scattered over one pool. For every sequence the layout lists
/// the cache rows that hold its positions `0, 1, 2, …` in order; each query row names where its sequence's
/// list starts and how many positions it sees (its own position + 1: causal attention). A single sequence held
/// contiguously from row 0 is the special case ``contiguous(rows:firstPosition:)``.
public struct AttentionLayout: Sendable, Equatable {
    /// Cache rows of every sequence in the batch, position by position, one sequence's list after another.
    public var slots: [Int32]
    /// For each query row: the index in ``slots`` where its sequence's list starts.
    public var rowStart: [Int32]
    /// For each query row: how many positions it attends to (its position + 1).
    public var rowLength: [Int32]

    public init(slots: [Int32], rowStart: [Int32], rowLength: [Int32]) {
        self.slots = slots
        self.rowStart = rowStart
        self.rowLength = rowLength
    }

    /// One sequence at cache rows `0 ..< firstPosition + rows`; query row `r` has position `firstPosition + r`.
    public static func contiguous(rows: Int, firstPosition: Int) -> AttentionLayout {
        AttentionLayout(slots: (0 ..< Int32(firstPosition + rows)).map { $0 },
                        rowStart: Array(repeating: 0, count: rows),
                        rowLength: (0 ..< rows).map { Int32(firstPosition + $0 + 1) })
    }

    /// Checks the layout against a batch of `rows` query rows and a cache of `cacheRows` rows; a backend calls
    /// this before handing the indices to a kernel.
    public func validate(rows: Int, cacheRows: Int) throws {
        guard rowStart.count == rows, rowLength.count == rows else {
            throw BackendError.shapeMismatch("attention layout describes \(rowStart.count)/\(rowLength.count) rows for a batch of \(rows)")
        }
        for r in 0 ..< rows {
            let start = Int(rowStart[r]), length = Int(rowLength[r])
            guard start >= 0, length >= 1, start + length <= slots.count else {
                throw BackendError.shapeMismatch("attention row \(r) reads slots \(start) ..< \(start + length) of \(slots.count)")
            }
        }
        if let bad = slots.first(where: { $0 < 0 || Int($0) >= cacheRows }) {
            throw BackendError.shapeMismatch("attention slot \(bad) outside a cache of \(cacheRows) rows")
        }
    }
}
