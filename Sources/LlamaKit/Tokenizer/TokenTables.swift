/// A 64-bit hash of a byte string, eight bytes at a time. Not cryptographic; the tables below only need
/// keys that spread well.
@inline(__always)
func hashBytes(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
    let raw = UnsafeRawPointer(bytes)
    var h = UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15
    var i = 0
    while i + 8 <= count {
        h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 32
        i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < count {
        tail |= UInt64(bytes[i]) << shift
        shift += 8
        i += 1
    }
    h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
    return h ^ (h >> 29)
}

/// Every token's bytes, back to back, and the lookups encoding needs: token by bytes, merge rule by pair.
///
/// Built once by ``ByteLevelBPETokenizer``'s initialiser (merge rules are added right after `init`, before
/// the tokenizer is returned) and never changed afterwards, so sharing it between threads is safe. It lives in manually allocated memory so that the encoding loop reads it without
/// bounds checks or copy-on-write checks.
final class TokenTables: @unchecked Sendable {
    /// The number of tokens.
    let count: Int
    /// Token `i`'s bytes are `pieceBytes[pieceOffsets[i] ..< pieceOffsets[i + 1]]`.
    let pieceBytes: UnsafeMutablePointer<UInt8>
    let pieceOffsets: UnsafeMutablePointer<Int>
    /// The token of each single byte, or -1.
    let byteTokens: UnsafeMutablePointer<Int32>

    /// Open-addressed table of tokens by bytes, two words per slot: `tag24 << 40 | length8 << 32 | (id + 1)`
    /// (0 when empty) and the token's first eight bytes, zero-padded. A token of up to eight bytes is
    /// therefore found, or ruled out, without touching `pieceBytes`: one cache miss per lookup.
    private let wordSlots: UnsafeMutablePointer<UInt64>
    private let wordMask: Int

    /// Open-addressed table of merge rules, two words per slot: `MergeRule.key(left, right)` (`UInt64.max`
    /// when empty) and `rank << 32 | result`.
    private let pairSlots: UnsafeMutablePointer<UInt64>
    private let pairMask: Int

    /// Builds the tables.
    ///
    /// - Parameters:
    ///   - bytes: Every token's bytes, back to back.
    ///   - offsets: Token `i`'s bytes are `bytes[offsets[i] ..< offsets[i + 1]]`; `count + 1` entries.
    ///   - wordLookup: Which tokens can be found by their bytes (ordinary tokens, not control tokens).
    ///     Among tokens with equal bytes the last one wins.
    ///   - pairCapacity: How many merge rules ``insertPair(_:rank:result:replace:)`` will add.
    init(bytes: [UInt8], offsets: [Int], wordLookup: (Int) -> Bool, pairCapacity expectedPairs: Int) {
        count = offsets.count - 1
        pieceBytes = .allocate(capacity: max(bytes.count, 1))
        pieceBytes.initialize(from: bytes, count: bytes.count)
        pieceOffsets = .allocate(capacity: offsets.count)
        pieceOffsets.initialize(from: offsets, count: offsets.count)

        var wordCapacity = 16
        while wordCapacity < count * 2 { wordCapacity <<= 1 }
        wordSlots = .allocate(capacity: 2 * wordCapacity)
        wordSlots.initialize(repeating: 0, count: 2 * wordCapacity)
        wordMask = wordCapacity - 1

        var pairCapacity = 16
        while pairCapacity < expectedPairs + expectedPairs / 2 { pairCapacity <<= 1 } // load factor at most 2/3
        pairSlots = .allocate(capacity: 2 * pairCapacity)
        for slot in 0 ..< pairCapacity {
            (pairSlots + 2 * slot).initialize(to: .max)
            (pairSlots + 2 * slot + 1).initialize(to: 0)
        }
        pairMask = pairCapacity - 1

        byteTokens = .allocate(capacity: 256)
        byteTokens.initialize(repeating: -1, count: 256)

        for index in 0 ..< count where wordLookup(index) {
            insertWord(Int32(index))
        }
        for byte in 0 ..< 256 {
            var value = UInt8(byte)
            byteTokens[byte] = lookup(&value, 1) ?? -1
        }
    }

    deinit {
        pieceBytes.deallocate()
        pieceOffsets.deallocate()
        byteTokens.deallocate()
        wordSlots.deallocate()
        pairSlots.deallocate()
    }

    /// The number of bytes of token `id` (which must be valid).
    @inline(__always)
    func length(of id: Int) -> Int { pieceOffsets[id + 1] - pieceOffsets[id] }

    /// Token `id`'s bytes (which must be valid).
    func bytes(of id: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: pieceBytes + pieceOffsets[id], count: length(of: id))
    }

    // MARK: Tokens by bytes

    /// The token whose bytes are `bytes[0 ..< count]`, among those inserted for word lookup.
    @inline(__always)
    func lookup(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32? {
        lookup(bytes, count, hash: hashBytes(bytes, count))
    }

    /// ``lookup(_:_:)`` with the bytes' ``hashBytes(_:_:)`` already computed.
    @inline(__always)
    func lookup(_ bytes: UnsafePointer<UInt8>, _ count: Int, hash: UInt64) -> Int32? {
        let want = Self.header(hash: hash, count: count)
        let prefix = Self.prefix8(bytes, count)
        var slot = Int(truncatingIfNeeded: hash) & wordMask
        while true {
            let entry = wordSlots[2 * slot]
            if entry == 0 { return nil }
            if entry & ~0xFFFF_FFFF == want, wordSlots[2 * slot + 1] == prefix {
                let id = Int(entry & 0xFFFF_FFFF) - 1
                if count <= 8 { return Int32(id) }
                let start = pieceOffsets[id]
                if pieceOffsets[id + 1] - start == count, memoryEqual(pieceBytes + start + 8, bytes + 8, count - 8) {
                    return Int32(id)
                }
            }
            slot = (slot + 1) & wordMask
        }
    }

    /// Reads the first slot `hash` probes, so that a later ``lookup(_:_:hash:)`` finds it in cache.
    @inline(__always)
    func touch(hash: UInt64) -> UInt64 {
        wordSlots[2 * (Int(truncatingIfNeeded: hash) & wordMask)]
    }

    /// Reads the first slot a merge rule for `key` would use (see ``touch(hash:)``).
    @inline(__always)
    func touchPair(_ key: UInt64) -> UInt64 {
        pairSlots[2 * (Self.pairSlot(key) & pairMask)]
    }

    /// The slot header of a key: its hash's top 24 bits and its length (saturated at 255).
    @inline(__always)
    private static func header(hash: UInt64, count: Int) -> UInt64 {
        (hash >> 40) << 40 | UInt64(min(count, 255)) << 32
    }

    /// The first eight bytes of `bytes[0 ..< count]`, zero-padded, as a little-endian word.
    @inline(__always)
    private static func prefix8(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        if count >= 8 { return UnsafeRawPointer(bytes).loadUnaligned(as: UInt64.self) }
        var value: UInt64 = 0
        var i = 0
        while i < count {
            value |= UInt64(bytes[i]) << UInt64(8 * i)
            i += 1
        }
        return value
    }

    private func insertWord(_ id: Int32) {
        let start = pieceOffsets[Int(id)]
        let count = pieceOffsets[Int(id) + 1] - start
        let word = pieceBytes + start
        let hash = hashBytes(word, count)
        let header = Self.header(hash: hash, count: count)
        let prefix = Self.prefix8(word, count)
        var slot = Int(truncatingIfNeeded: hash) & wordMask
        while true {
            let existing = wordSlots[2 * slot]
            if existing == 0 || (existing & ~0xFFFF_FFFF == header && wordSlots[2 * slot + 1] == prefix
                && sameBytes(Int(existing & 0xFFFF_FFFF) - 1, word, count)) {
                // An empty slot, or a token with the same bytes: later tokens win.
                wordSlots[2 * slot] = header | UInt64(id + 1)
                wordSlots[2 * slot + 1] = prefix
                return
            }
            slot = (slot + 1) & wordMask
        }
    }

    private func sameBytes(_ id: Int, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let start = pieceOffsets[id]
        return pieceOffsets[id + 1] - start == count && memoryEqual(pieceBytes + start, bytes, count)
    }

    // MARK: Merge rules by pair

    /// The rule merging `left` and `right`: its rank and the token it makes.
    @inline(__always)
    func rule(_ left: Int32, _ right: Int32) -> (rank: Int32, result: Int32)? {
        let key = MergeRule.key(left, right)
        var slot = Self.pairSlot(key) & pairMask
        while true {
            let k = pairSlots[2 * slot]
            if k == key {
                let value = pairSlots[2 * slot + 1]
                return (Int32(truncatingIfNeeded: value >> 32), Int32(truncatingIfNeeded: value))
            }
            if k == .max { return nil }
            slot = (slot + 1) & pairMask
        }
    }

    /// Adds a merge rule. Only while the tokenizer that owns the tables is being built (see the type's note);
    /// `replace` says whether a later rule for the same pair wins (Hugging Face) or the first one (llama.cpp).
    func insertPair(_ key: UInt64, rank: Int32, result: Int32, replace: Bool) {
        var slot = Self.pairSlot(key) & pairMask
        while true {
            let k = pairSlots[2 * slot]
            if k == .max || k == key {
                if k == .max || replace {
                    pairSlots[2 * slot] = key
                    pairSlots[2 * slot + 1] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: result))
                }
                return
            }
            slot = (slot + 1) & pairMask
        }
    }

    @inline(__always)
    private static func pairSlot(_ key: UInt64) -> Int {
        let h = key &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h ^ (h >> 31))
    }
}

/// Whether `count` bytes at `a` and `b` are equal.
@inline(__always)
func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 8 <= count {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// A merge rule's key: the pair of token ids it joins.
enum MergeRule {
    /// The table key for the pair `(left, right)`.
    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
}
