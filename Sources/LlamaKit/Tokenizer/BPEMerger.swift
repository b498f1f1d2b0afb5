/// One BPE merge rule, found by the pair of token ids it joins.
struct MergeRule: Sendable {
    /// Position in the merge list: lower ranks merge first.
    let rank: Int32
    /// The token the pair becomes.
    let result: Int32

    /// The dictionary key for the pair `(left, right)`.
    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
}

/// Applies BPE merges to one word, lowest rank first and leftmost first among equal ranks, the order
/// Hugging Face and llama.cpp use.
///
/// The word is a linked list of symbols and the candidate pairs sit in a min-heap keyed by (rank, position),
/// so a word of n bytes costs O(n log n) rather than the O(n²) of rescanning after every merge. That
/// matters for long runs of one class, such as 5,000 repeated letters, which are a single word. Heap
/// entries are not removed when a merge makes them stale; they are checked when popped instead. The
/// buffers live across calls so that encoding a document allocates them once.
struct BPEMerger {
    private var ids: [Int32] = []
    private var next: [Int32] = []
    private var prev: [Int32] = []
    private var heap: [UInt64] = []

    /// Marks a symbol that was merged into its left neighbour.
    private static let dead = Int32.min

    /// Merges `symbols` (initial token ids, one per byte) and appends the resulting ids to `out`.
    mutating func merge(_ symbols: [Int32], rules: [UInt64: MergeRule], into out: inout [Int32]) {
        let n = symbols.count
        guard n > 1 else {
            out.append(contentsOf: symbols)
            return
        }
        ids.removeAll(keepingCapacity: true)
        ids.append(contentsOf: symbols)
        next.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        for i in 0 ..< n {
            prev.append(Int32(i - 1))
            next.append(i + 1 < n ? Int32(i + 1) : -1)
        }
        for i in 0 ..< n - 1 {
            if let rule = rules[MergeRule.key(ids[i], ids[i + 1])] { push(rank: rule.rank, left: Int32(i)) }
        }

        while let entry = pop() {
            let rank = Int32(truncatingIfNeeded: entry >> 32)
            let left = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF)
            guard ids[left] != Self.dead else { continue }
            let right = Int(next[left])
            guard right >= 0 else { continue }
            // A stale entry: one side changed since it was pushed. A rank names exactly one pair, so an
            // equal rank means the pair is still the one this entry was pushed for.
            guard let rule = rules[MergeRule.key(ids[left], ids[right])], rule.rank == rank else { continue }

            ids[left] = rule.result
            ids[right] = Self.dead
            let after = next[right]
            next[left] = after
            if after >= 0 { prev[Int(after)] = Int32(left) }

            let before = prev[left]
            if before >= 0, let r = rules[MergeRule.key(ids[Int(before)], ids[left])] {
                push(rank: r.rank, left: before)
            }
            if after >= 0, let r = rules[MergeRule.key(ids[left], ids[Int(after)])] {
                push(rank: r.rank, left: Int32(left))
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
