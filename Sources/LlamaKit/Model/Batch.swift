/// The rows of one forward pass: tokens of one or more sequences, each at its own position.
///
/// Decode steps of many sequences, chunks of new prompts and speculative verification are all batches: the
/// model evaluates every row, stores each row's keys and values in its cache slot, lets each row attend to its
/// own sequence's positions only (``attention``), and returns the logits of ``logitRows``.
/// Build one with ``BatchBuilder``.
public struct Batch: Sendable, Equatable {
    /// One token per row.
    public var tokens: [Int32]
    /// Each row's position in its sequence (RoPE angle).
    public var positions: [Int32]
    /// The KV-cache row where each row's keys and values are stored.
    public var slots: [Int32]
    /// Which cache rows each row attends to.
    public var attention: AttentionLayout
    /// Rows whose logits the pass returns, in this order.
    public var logitRows: [Int]

    public var count: Int { tokens.count }
}

/// Assembles a ``Batch`` sequence by sequence.
public struct BatchBuilder: Sendable {
    public private(set) var batch = Batch(tokens: [], positions: [], slots: [],
                                          attention: AttentionLayout(slots: [], rowStart: [], rowLength: []),
                                          logitRows: [])

    public init() {}

    /// Which rows of a sequence's piece want logits.
    public enum Logits: Sendable, Equatable {
        case none, last, all
    }

    /// Adds `tokens` of one sequence at positions `firstPosition ..< firstPosition + tokens.count`.
    ///
    /// - Parameters:
    ///   - cacheSlots: the cache row of every position of the sequence from 0 through the last new token
    ///     (at least `firstPosition + tokens.count` entries): earlier positions are read, the new ones written.
    /// - Returns: the rows the piece occupies in the batch.
    @discardableResult
    public mutating func add(tokens: [Int32], firstPosition: Int, cacheSlots: ArraySlice<Int32>,
                             logits: Logits) throws -> Range<Int> {
        let end = firstPosition + tokens.count
        guard firstPosition >= 0, cacheSlots.count >= end, end <= Int(Int32.max) else {
            throw ModelError.invalidConfiguration("a batch piece at positions \(firstPosition) ..< \(end) has \(cacheSlots.count) cache slots")
        }
        let rows = batch.tokens.count ..< batch.tokens.count + tokens.count
        let start = Int32(batch.attention.slots.count)
        batch.attention.slots += cacheSlots.prefix(end)
        batch.tokens += tokens
        for (offset, position) in (firstPosition ..< end).enumerated() {
            batch.positions.append(Int32(position))
            batch.slots.append(cacheSlots[cacheSlots.startIndex + position])
            batch.attention.rowStart.append(start)
            batch.attention.rowLength.append(Int32(position + 1))
            if logits == .all || (logits == .last && offset == tokens.count - 1) {
                batch.logitRows.append(rows.lowerBound + offset)
            }
        }
        return rows
    }
}
