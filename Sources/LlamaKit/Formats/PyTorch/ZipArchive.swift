/// The entries of a zip archive held in memory (a mapped file), located without decompressing anything.
///
/// torch.save writes stored (uncompressed), 64-byte-aligned entries, so tensor data can be used where it
/// lies. ZIP64 records are understood because a 70B shard is far larger than 4 GB.
struct ZipArchive {
    struct Entry {
        let name: String
        /// The entry's bytes inside the archive (stored entries only).
        let data: Range<Int>
        let compressed: Bool
    }

    let entries: [String: Entry]

    init(bytes: UnsafeRawBufferPointer, path: String) throws(PyTorchError) {
        func fail(_ reason: String) -> PyTorchError { .badZip(path: path, reason: reason) }
        func u16(_ at: Int) throws(PyTorchError) -> Int {
            guard at >= 0, at + 2 <= bytes.count else { throw fail("truncated at \(at)") }
            return Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
        }
        func u32(_ at: Int) throws(PyTorchError) -> Int {
            guard at >= 0, at + 4 <= bytes.count else { throw fail("truncated at \(at)") }
            return Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        }
        func u64(_ at: Int) throws(PyTorchError) -> Int {
            guard at >= 0, at + 8 <= bytes.count else { throw fail("truncated at \(at)") }
            let v = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            guard v <= UInt64(Int.max) else { throw fail("offset too large at \(at)") }
            return Int(v)
        }

        // End of central directory: within the last 64 KiB + 22 bytes (the comment is at most 65535 bytes).
        guard bytes.count >= 22 else { throw fail("too short") }
        var eocd = -1
        var at = bytes.count - 22
        while at >= max(0, bytes.count - 22 - 65535) {
            if try u32(at) == 0x0605_4B50 { eocd = at; break }
            at -= 1
        }
        guard eocd >= 0 else { throw fail("no end-of-central-directory record") }
        var count = try u16(eocd + 10)
        var directory = try u32(eocd + 16)
        if count == 0xFFFF || directory == 0xFFFF_FFFF {
            let locator = eocd - 20
            guard try u32(locator) == 0x0706_4B50 else { throw fail("ZIP64 locator missing") }
            let record = try u64(locator + 8)
            guard try u32(record) == 0x0606_4B50 else { throw fail("ZIP64 end record missing") }
            count = try u64(record + 32)
            directory = try u64(record + 48)
        }
        guard count <= bytes.count / 46 else { throw fail("implausible entry count \(count)") }

        var entries: [String: Entry] = [:]
        var cursor = directory
        for _ in 0 ..< count {
            guard try u32(cursor) == 0x0201_4B50 else { throw fail("bad central directory entry at \(cursor)") }
            let method = try u16(cursor + 10)
            var compressedSize = try u32(cursor + 20)
            var size = try u32(cursor + 24)
            let nameLength = try u16(cursor + 28)
            let extraLength = try u16(cursor + 30)
            let commentLength = try u16(cursor + 32)
            var localOffset = try u32(cursor + 42)
            guard cursor + 46 + nameLength <= bytes.count else { throw fail("entry name past the end") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[cursor + 46 ..< cursor + 46 + nameLength]), as: UTF8.self)
            // ZIP64 extended information: the 64-bit values of whichever fields were saturated, in this order.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = try u16(extra), length = try u16(extra + 2)
                if id == 1 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF { size = try u64(field); field += 8 }
                    if compressedSize == 0xFFFF_FFFF { compressedSize = try u64(field); field += 8 }
                    if localOffset == 0xFFFF_FFFF { localOffset = try u64(field) }
                }
                extra += 4 + length
            }
            guard try u32(localOffset) == 0x0403_4B50 else { throw fail("bad local header for \(name)") }
            let start = localOffset + 30 + (try u16(localOffset + 26)) + (try u16(localOffset + 28))
            guard start <= bytes.count, compressedSize <= bytes.count - start else { throw fail("entry \(name) runs past the end") }
            entries[name] = Entry(name: name, data: start ..< start + compressedSize, compressed: method != 0 || compressedSize != size)
            cursor = extraEnd + commentLength
        }
        self.entries = entries
    }
}
