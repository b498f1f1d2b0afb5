/// Where every sequence's keys and values live in the engine's KV cache: fixed-size blocks of cache rows,
/// handed out as sequences grow and returned when they end (the PagedAttention idea).
///
/// Memory follows the tokens actually held, not each sequence's maximum length. Blocks are reference-counted:
/// a full block is registered under its contents (the tokens it holds and, through its parent, every token
/// before them), so a new sequence that starts with the same tokens — a shared system prompt, a tool list, the
/// earlier turns of a chat — reuses those blocks instead of storing and computing them again (automatic prefix
/// caching). A registered block nobody uses stays cached until its memory is needed, least recently released
/// first.
///
/// Not thread-safe: the engine's thread owns it.
struct KVBlockManager {
    /// Cache rows per block.
    let blockSize: Int
    /// Blocks in the cache.
    let blockCount: Int

    /// What a full block holds: its tokens, after the tokens of the block its sequence had before it.
    /// `parent` is the content id of that block (0 for a sequence's first block), so a key names a whole
    /// prefix without storing it; content ids are never reused, so a key outlives its parent's eviction
    /// harmlessly (it can no longer be reached).
    struct ContentKey: Hashable {
        let parent: UInt64
        let tokens: [Int32]
    }

    private var references: [Int32]
    /// Content id of each block's registered contents (0: not registered).
    private var contentID: [UInt64]
    private var keyOfBlock: [ContentKey?]
    private var blockOfKey: [ContentKey: Int32] = [:]
    private var nextContentID: UInt64 = 1
    /// Blocks holding nothing anyone wants.
    private var free: [Int32]
    /// Registered blocks with no user, oldest release first; entries whose stamp is stale are skipped.
    private var evictable: [(block: Int32, stamp: UInt64)] = []
    private var evictableHead = 0
    private var releaseStamp: [UInt64]
    private var clock: UInt64 = 0

    init(blockSize: Int, blockCount: Int) {
        precondition(blockSize > 0 && blockCount > 0 && blockCount <= Int(Int32.max))
        self.blockSize = blockSize
        self.blockCount = blockCount
        references = Array(repeating: 0, count: blockCount)
        contentID = Array(repeating: 0, count: blockCount)
        keyOfBlock = Array(repeating: nil, count: blockCount)
        releaseStamp = Array(repeating: 0, count: blockCount)
        free = (0 ..< Int32(blockCount)).reversed()
    }

    /// Blocks that are held by at least one sequence.
    private(set) var usedBlocks = 0
    /// Blocks that hold cached contents but no sequence (reusable by a matching prompt, or evicted when needed).
    var cachedBlocks: Int { blockCount - usedBlocks - free.count }
    /// Blocks a new allocation can take (free or evictable).
    var availableBlocks: Int { blockCount - usedBlocks }

    /// The longest run of cached full blocks that `tokens` starts with; each returned block gains a reference.
    /// At most `limit` tokens are matched (the caller keeps at least one token to evaluate).
    mutating func matchPrefix(_ tokens: [Int32], limit: Int) -> (blocks: [Int32], contentIDs: [UInt64]) {
        var blocks: [Int32] = []
        var ids: [UInt64] = []
        var parent: UInt64 = 0
        var start = 0
        while start + blockSize <= min(tokens.count, limit) {
            let key = ContentKey(parent: parent, tokens: Array(tokens[start ..< start + blockSize]))
            guard let block = blockOfKey[key] else { break }
            retain(block)
            blocks.append(block)
            parent = contentID[Int(block)]
            ids.append(parent)
            start += blockSize
        }
        return (blocks, ids)
    }

    /// A new block for one sequence (one reference), or `nil` when every block is in use.
    mutating func allocate() -> Int32? {
        if let block = free.popLast() {
            retain(block)
            return block
        }
        while evictableHead < evictable.count {
            let (block, stamp) = evictable[evictableHead]
            evictableHead += 1
            guard references[Int(block)] == 0, releaseStamp[Int(block)] == stamp, let key = keyOfBlock[Int(block)] else { continue }
            blockOfKey[key] = nil
            keyOfBlock[Int(block)] = nil
            contentID[Int(block)] = 0
            compactEvictable()
            retain(block)
            return block
        }
        return nil
    }

    /// Registers a block a sequence has just filled with computed keys and values, so later sequences with the
    /// same prefix can share it. `parent` is the content id of the sequence's previous block (0 for its first).
    /// Returns the content id the block's contents go by (an existing one when identical contents are already
    /// cached in another block, which then stays the shared copy).
    mutating func register(_ block: Int32, tokens: [Int32], parent: UInt64) -> UInt64 {
        let key = ContentKey(parent: parent, tokens: tokens)
        if let existing = blockOfKey[key] { return contentID[Int(existing)] }
        guard keyOfBlock[Int(block)] == nil else { return contentID[Int(block)] }
        let id = nextContentID
        nextContentID += 1
        blockOfKey[key] = block
        keyOfBlock[Int(block)] = key
        contentID[Int(block)] = id
        return id
    }

    /// Drops one reference to each block (a sequence ended or was preempted).
    mutating func release(_ blocks: [Int32]) {
        for block in blocks {
            let b = Int(block)
            references[b] -= 1
            guard references[b] == 0 else { continue }
            usedBlocks -= 1
            if keyOfBlock[b] != nil {
                clock += 1
                releaseStamp[b] = clock
                evictable.append((block, clock))
            } else {
                free.append(block)
            }
        }
    }

    private mutating func retain(_ block: Int32) {
        if references[Int(block)] == 0 { usedBlocks += 1 }
        references[Int(block)] += 1
    }

    /// Forgets consumed queue entries once they dominate the array.
    private mutating func compactEvictable() {
        if evictableHead > 1024 && evictableHead * 2 > evictable.count {
            evictable.removeFirst(evictableHead)
            evictableHead = 0
        }
    }
}
