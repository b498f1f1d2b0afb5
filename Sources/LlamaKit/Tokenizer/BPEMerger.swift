/// How a vocabulary ranks the merge of two neighbouring symbols.
enum MergeMode: Sendable {
    /// A merge list (GGUF `tokenizer.ggml.merges`, `tokenizer.json` `model.merges`): a pair merges if the
    /// list has a rule for it, and rules earlier in the list go first.
    case pairRules
    /// tiktoken ranks (`tokenizer.model`): a pair merges if the bytes of the two symbols together are a
    /// token, and lower token ids (ranks) go first.
    case tokenRanks
}

/// Applies BPE merges to one word, lowest rank first and leftmost first among equal ranks, the order
/// Hugging Face, llama.cpp and tiktoken use.
///
/// Short words (almost all of them) use tiktoken's method: keep the rank of every neighbouring pair, merge
/// the lowest, update its two neighbours. Long words, such as 5,000 repeated letters (a single word), keep
/// the candidate pairs in a min-heap keyed by (rank, position) over a linked list of symbols, so a word of
/// n bytes costs O(n log n) rather than O(n²). Heap entries are not removed when a merge makes them stale;
/// they are checked when popped instead. The buffers live across calls so that encoding a document
/// allocates them once.
struct BPEMerger {
    private var ids: [Int32] = []
    private var starts: [Int32] = []
    private var ranks: [Int32] = []
    private var results: [Int32] = []
    private var next: [Int32] = []
    private var prev: [Int32] = []
    private var heap: [UInt64] = []

    /// Marks a symbol that was merged into its left neighbour.
    private static let dead = Int32.min
    /// Words up to this many bytes use the quadratic method.
    private static let shortWord = 48

    /// Merges the word `bytes[0 ..< count]` and appends the resulting token ids to `out`. Bytes the
    /// vocabulary has no token for are dropped, as llama.cpp and Hugging Face both do.
    mutating func merge(
        _ bytes: UnsafePointer<UInt8>, _ count: Int, tables: TokenTables, mode: MergeMode, into out: inout [Int32]
    ) {
        ids.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        for i in 0 ..< count {
            let id = tables.byteTokens[Int(bytes[i])]
            if id >= 0 {
                ids.append(id)
                starts.append(Int32(i))
            }
        }
        if ids.count < 2 {
            out.append(contentsOf: ids)
        } else if ids.count <= Self.shortWord {
            mergeShort(bytes, tables: tables, mode: mode, into: &out)
        } else {
            mergeLong(bytes, tables: tables, mode: mode, into: &out)
        }
    }

    /// The rank and result of merging symbol `left` (id, first byte) with symbol `right`.
    @inline(__always)
    private static func rule(
        _ leftID: Int32, _ leftStart: Int32, _ rightID: Int32, _ rightStart: Int32,
        _ bytes: UnsafePointer<UInt8>, _ tables: TokenTables, _ mode: MergeMode
    ) -> (rank: Int32, result: Int32)? {
        switch mode {
        case .pairRules:
            return tables.rule(leftID, rightID)
        case .tokenRanks:
            // The symbols must touch: a dropped byte between them cannot be part of a token.
            let leftEnd = Int(leftStart) + tables.length(of: Int(leftID))
            guard leftEnd == Int(rightStart) else { return nil }
            let end = Int(rightStart) + tables.length(of: Int(rightID))
            guard let id = tables.lookup(bytes + Int(leftStart), end - Int(leftStart)) else { return nil }
            return (id, id)
        }
    }

    // MARK: Short words

    private mutating func mergeShort(_ bytes: UnsafePointer<UInt8>, tables: TokenTables, mode: MergeMode, into out: inout [Int32]) {
        ranks.removeAll(keepingCapacity: true)
        results.removeAll(keepingCapacity: true)
        for k in 0 ..< ids.count - 1 {
            let r = Self.rule(ids[k], starts[k], ids[k + 1], starts[k + 1], bytes, tables, mode)
            ranks.append(r?.rank ?? .max)
            results.append(r?.result ?? -1)
        }
        while true {
            var best = Int32.max
            var at = -1
            for k in 0 ..< ranks.count where ranks[k] < best {
                best = ranks[k]
                at = k
            }
            guard at >= 0 else { break }
            ids[at] = results[at]
            ids.remove(at: at + 1)
            starts.remove(at: at + 1)
            ranks.remove(at: at)
            results.remove(at: at)
            if at > 0 {
                let r = Self.rule(ids[at - 1], starts[at - 1], ids[at], starts[at], bytes, tables, mode)
                ranks[at - 1] = r?.rank ?? .max
                results[at - 1] = r?.result ?? -1
            }
            if at < ranks.count {
                let r = Self.rule(ids[at], starts[at], ids[at + 1], starts[at + 1], bytes, tables, mode)
                ranks[at] = r?.rank ?? .max
                results[at] = r?.result ?? -1
            }
        }
        out.append(contentsOf: ids)
    }

    // MARK: Long words

    private mutating func mergeLong(_ bytes: UnsafePointer<UInt8>, tables: TokenTables, mode: MergeMode, into out: inout [Int32]) {
        let n = ids.count
        next.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        for i in 0 ..< n {
            prev.append(Int32(i - 1))
            next.append(i + 1 < n ? Int32(i + 1) : -1)
        }
        for i in 0 ..< n - 1 {
            if let r = Self.rule(ids[i], starts[i], ids[i + 1], starts[i + 1], bytes, tables, mode) {
                push(rank: r.rank, left: Int32(i))
            }
        }

        while let entry = pop() {
            let rank = Int32(truncatingIfNeeded: entry >> 32)
            let left = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF)
            guard ids[left] != Self.dead else { continue }
            let right = Int(next[left])
            guard right >= 0 else { continue }
            // A stale entry: one side changed since it was pushed. If the pair now there has the same rank,
            // it is the lowest-ranked leftmost pair all the same, so merging it is right.
            guard let r = Self.rule(ids[left], starts[left], ids[right], starts[right], bytes, tables, mode),
                  r.rank == rank else { continue }

            ids[left] = r.result
            ids[right] = Self.dead
            let after = next[right]
            next[left] = after
            if after >= 0 { prev[Int(after)] = Int32(left) }

            let before = prev[left]
            if before >= 0, let b = Self.rule(ids[Int(before)], starts[Int(before)], ids[left], starts[left], bytes, tables, mode) {
                push(rank: b.rank, left: before)
            }
            if after >= 0, let a = Self.rule(ids[left], starts[left], ids[Int(after)], starts[Int(after)], bytes, tables, mode) {
                push(rank: a.rank, left: Int32(left))
            }
        }

        // Symbol 0 is never merged away (only right-hand symbols die), so the list starts there.
        var i: Int32 = 0
        while i >= 0 {
            out.append(ids[Int(i)])
            i = next[Int(i)]
        }
    }

    // MARK: Min-heap of (rank << 32 | left position)

    private mutating func push(rank: Int32, left: Int32) {
        heap.append(UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: left)))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() -> UInt64? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let smaller = right < count && heap[right] < heap[left] ? right : left
            guard heap[smaller] < heap[parent] else { break }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
        return top
    }
}
