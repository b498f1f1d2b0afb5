/// Decides what each engine step evaluates: which sequences run, how many of their tokens, and who waits.
///
/// Every running sequence that is generating gets its next token in every step, so streams already running
/// never stall; what is left of the step's token budget goes to prompt chunks (chunked prefill), oldest
/// request first, and then to admitting waiting requests while fewer than ``EngineConfiguration/maxSequences``
/// run. When the cache has no block for a running sequence, the most recently admitted one is preempted: its
/// blocks are released and it waits again at the head of the queue, to be evaluated anew (with prefix caching,
/// mostly from blocks still cached).
///
/// Not thread-safe: the engine's thread owns it.
struct Scheduler {
    /// One sequence's share of a step: evaluate `count` tokens from position `sequence.computed`.
    struct Piece {
        let sequence: EngineSequence
        let count: Int
        /// Whether the piece ends at the sequence's last known token, so its logits pick the next one.
        var wantsLogits: Bool { sequence.computed + count == sequence.tokens.count }
    }

    let maxSequences: Int
    let maxBatchTokens: Int
    private(set) var running: [EngineSequence] = []
    private(set) var waiting: [EngineSequence] = []
    /// Sequences sent back to the queue for want of cache blocks, since the start.
    private(set) var preemptions = 0

    init(maxSequences: Int, maxBatchTokens: Int) {
        self.maxSequences = maxSequences
        self.maxBatchTokens = maxBatchTokens
    }

    var isIdle: Bool { running.isEmpty && waiting.isEmpty }

    mutating func enqueue(_ sequence: EngineSequence) { waiting.append(sequence) }

    /// Takes a sequence out (finished or cancelled), releasing its blocks.
    mutating func remove(_ sequence: EngineSequence, blocks: inout KVBlockManager) {
        running.removeAll { $0 === sequence }
        waiting.removeAll { $0 === sequence }
        Self.releaseCache(of: sequence, blocks: &blocks)
    }

    /// The next step's pieces. Sequences that cannot get a cache block even with every other one preempted
    /// are returned in `starved` (the caller ends them: the cache is too small for them).
    mutating func nextStep(blocks: inout KVBlockManager) -> (pieces: [Piece], starved: [EngineSequence]) {
        var pieces: [Piece] = []
        var starved: [EngineSequence] = []
        var budget = maxBatchTokens

        // Generating sequences first (one token each), then prompt chunks, in admission order.
        for decoding in [true, false] {
            var index = 0
            while index < running.count && budget > 0 {
                let sequence = running[index]
                guard (sequence.pending == 1) == decoding else { index += 1; continue }
                let count = min(sequence.pending, budget)
                if Self.reserve(sequence, upTo: sequence.computed + count, blocks: &blocks) {
                    pieces.append(Piece(sequence: sequence, count: count))
                    budget -= count
                    index += 1
                    continue
                }
                // Out of blocks: preempt the newest running sequence (perhaps this one) and try again.
                guard let victim = running.last else { break }
                if victim === sequence && running.count == 1 {
                    running.removeLast()
                    Self.releaseCache(of: sequence, blocks: &blocks)
                    starved.append(sequence)
                    break
                }
                running.removeLast()
                if let planned = pieces.firstIndex(where: { $0.sequence === victim }) {
                    budget += pieces[planned].count
                    pieces.remove(at: planned)
                }
                Self.releaseCache(of: victim, blocks: &blocks)
                waiting.insert(victim, at: 0)
                preemptions += 1
            }
        }

        // Admit waiting requests while there is room.
        while budget > 0, running.count < maxSequences, let sequence = waiting.first {
            if sequence.blocks.isEmpty {
                // Reuse cached blocks of an identical prefix; the last token is always evaluated, for its logits.
                let (shared, ids) = blocks.matchPrefix(sequence.tokens, limit: sequence.tokens.count - 1)
                sequence.blocks = shared
                sequence.contentIDs = ids
                sequence.slots = Self.slots(of: shared, blockSize: blocks.blockSize)
                sequence.computed = shared.count * blocks.blockSize
                if sequence.cachedPromptTokens == nil { sequence.cachedPromptTokens = sequence.computed }
            }
            let count = min(sequence.pending, budget)
            guard Self.reserve(sequence, upTo: sequence.computed + count, blocks: &blocks) else {
                // A waiting request holds no blocks (its shared prefix is looked up again when it is admitted),
                // so running sequences can always reclaim them.
                Self.releaseCache(of: sequence, blocks: &blocks)
                if running.isEmpty && pieces.isEmpty {
                    // Nothing runs, and still no room: this request alone does not fit the cache.
                    waiting.removeFirst()
                    starved.append(sequence)
                    continue
                }
                break
            }
            waiting.removeFirst()
            running.append(sequence)
            pieces.append(Piece(sequence: sequence, count: count))
            budget -= count
        }
        return (pieces, starved)
    }

    /// Returns the sequence's blocks; it will be evaluated from the start if it runs again.
    private static func releaseCache(of sequence: EngineSequence, blocks: inout KVBlockManager) {
        blocks.release(sequence.blocks)
        sequence.resetCache()
    }

    /// Gives `sequence` blocks for positions up to `end`; false (nothing kept) if the cache has too few.
    private static func reserve(_ sequence: EngineSequence, upTo end: Int, blocks: inout KVBlockManager) -> Bool {
        let size = blocks.blockSize
        let needed = (end + size - 1) / size - sequence.blocks.count
        guard needed > 0 else { return true }
        guard needed <= blocks.availableBlocks else { return false }
        for _ in 0 ..< needed {
            guard let block = blocks.allocate() else { return false }
            sequence.blocks.append(block)
            sequence.slots += slots(of: [block], blockSize: size)
        }
        return true
    }

    private static func slots(of blocks: [Int32], blockSize: Int) -> [Int32] {
        blocks.flatMap { block in (0 ..< Int32(blockSize)).map { block * Int32(blockSize) + $0 } }
    }
}
