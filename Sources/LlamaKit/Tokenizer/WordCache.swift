/// Remembers the tokens of words that needed merging, for the rest of one `encode` call.
///
/// Natural text repeats its words, and merging a word costs far more than finding it in a hash table, so
/// a document pays for each distinct word about once. The cache belongs to one call (the tokenizer itself
/// stays immutable and shareable); when it fills up it starts again empty.
struct WordCache {
    /// Words longer than this are not cached (they seldom repeat).
    static let maxWordLength = 64
    private static let slotCount = 1 << 14
    private static let maxEntries = slotCount / 2

    /// Entry index + 1 per slot, 0 when empty; allocated by the first insertion, so that calls that never
    /// merge (short prompts of whole-token words) pay nothing.
    private var slots: [Int32] = []
    private var hashes: [UInt64] = []
    private var keyStarts: [Int32] = []
    private var idStarts: [Int32] = []
    private var keyBytes: [UInt8] = []
    private var tokenIDs: [Int32] = []

    /// Appends the cached tokens of `bytes[0 ..< count]` (whose hash is `hash`) to `out`, if the word is cached.
    @inline(__always)
    func appendCached(_ bytes: UnsafePointer<UInt8>, _ count: Int, hash: UInt64, to out: inout [Int32]) -> Bool {
        guard !slots.isEmpty else { return false }
        var slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
        while true {
            let entry = Int(slots[slot]) - 1
            if entry < 0 { return false }
            if hashes[entry] == hash {
                let keyStart = Int(keyStarts[entry])
                let keyEnd = entry + 1 < keyStarts.count ? Int(keyStarts[entry + 1]) : keyBytes.count
                if keyEnd - keyStart == count,
                   keyBytes.withUnsafeBufferPointer({ key in
                       key.baseAddress.map { memoryEqual($0 + keyStart, bytes, count) } ?? (count == 0)
                   }) {
                    let idEnd = entry + 1 < idStarts.count ? Int(idStarts[entry + 1]) : tokenIDs.count
                    out.append(contentsOf: tokenIDs[Int(idStarts[entry]) ..< idEnd])
                    return true
                }
            }
            slot = (slot + 1) & (Self.slotCount - 1)
        }
    }

    /// Remembers that `bytes[0 ..< count]` encodes as `ids`.
    mutating func insert(_ bytes: UnsafePointer<UInt8>, _ count: Int, hash: UInt64, ids: ArraySlice<Int32>) {
        if slots.isEmpty { slots = Array(repeating: 0, count: Self.slotCount) }
        if hashes.count >= Self.maxEntries { removeAll() }
        let entry = hashes.count
        hashes.append(hash)
        keyStarts.append(Int32(keyBytes.count))
        keyBytes.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
        idStarts.append(Int32(tokenIDs.count))
        tokenIDs.append(contentsOf: ids)
        var slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
        while slots[slot] != 0 { slot = (slot + 1) & (Self.slotCount - 1) }
        slots[slot] = Int32(entry + 1)
    }

    private mutating func removeAll() {
        for i in slots.indices { slots[i] = 0 }
        hashes.removeAll(keepingCapacity: true)
        keyStarts.removeAll(keepingCapacity: true)
        idStarts.removeAll(keepingCapacity: true)
        keyBytes.removeAll(keepingCapacity: true)
        tokenIDs.removeAll(keepingCapacity: true)
    }
}
