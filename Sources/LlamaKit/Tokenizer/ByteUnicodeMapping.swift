/// GPT-2's reversible mapping between bytes and printable Unicode scalars.
///
/// Byte-level BPE vocabularies cannot store raw bytes such as spaces, control characters or halves of
/// multi-byte characters as text, so every byte is spelled as one visible scalar: the printable Latin-1
/// bytes (`!`...`~`, `¡`...`¬`, `®`...`ÿ`) stand for themselves and the other 68 bytes take the scalars from
/// U+0100 upward, in byte order. A space is therefore `Ġ` (U+0120) and a newline `Ċ` (U+010A).
enum ByteUnicodeMapping {
    /// The scalar that spells each byte.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0 ..< 256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                // 256 + at most 68 is always a valid scalar.
                table[byte] = Unicode.Scalar(next) ?? " "
                next += 1
            }
        }
        return table
    }()

    /// The byte each spelling scalar stands for, indexed by scalar value (all of them are below U+0144).
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The byte `scalar` spells, or `nil` if it is not part of the byte alphabet.
    @inline(__always)
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < byteForScalar.count else { return nil }
        let byte = byteForScalar[value]
        return byte < 0 ? nil : UInt8(byte)
    }

    /// The bytes a byte-level token spells. Scalars outside the byte alphabet (which a well-formed
    /// vocabulary never has in normal tokens) are kept as their own UTF-8, as Hugging Face's decoder does.
    static func bytes(spelledBy token: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            if let byte = byte(for: scalar) {
                out.append(byte)
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// Appends the bytes the UTF-8 text `utf8` spells to `out`, like ``appendBytes(spelledBy:to:)``: scalars
    /// outside the byte alphabet are kept as their own UTF-8.
    static func appendBytes(spelledUTF8 utf8: [UInt8], to out: inout [UInt8]) {
        let byteForScalar = self.byteForScalar // once, not a lazy-global check per scalar
        var i = 0
        while i < utf8.count {
            let b0 = utf8[i]
            let length = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4
            if length <= 2, i + length <= utf8.count {
                let value = length == 1 ? Int(b0) : Int(b0 & 0x1F) << 6 | Int(utf8[i + 1] & 0x3F)
                if value < byteForScalar.count, byteForScalar[value] >= 0 {
                    out.append(UInt8(byteForScalar[value]))
                    i += length
                    continue
                }
            }
            let end = min(i + length, utf8.count)
            out.append(contentsOf: utf8[i ..< end])
            i = end
        }
    }

    /// ``appendBytes(spelledBy:to:)`` for a `String`, decoding its UTF-8 directly (the loaders' hot path).
    @discardableResult
    static func appendBytes(spelledBy token: String, to out: inout [UInt8]) -> Bool {
        var token = token
        let done = token.withUTF8 { utf8 -> Bool in
            let start = out.count
            var i = 0
            while i < utf8.count {
                let b0 = utf8[i]
                let value: Int
                if b0 < 0x80 {
                    value = Int(b0)
                    i += 1
                } else if b0 < 0xE0, i + 1 < utf8.count {
                    value = Int(b0 & 0x1F) << 6 | Int(utf8[i + 1] & 0x3F)
                    i += 2
                } else {
                    value = Int.max
                }
                guard value < byteForScalar.count, byteForScalar[value] >= 0 else {
                    out.removeSubrange(start...)
                    return false
                }
                out.append(UInt8(byteForScalar[value]))
            }
            return true
        }
        if done { return true }
        return appendBytes(spelledBy: Substring(token), to: &out)
    }

    /// Appends the bytes `token` spells to `out`, like ``bytes(spelledBy:)`` without allocating.
    /// Returns `false` if some scalar is outside the byte alphabet (its UTF-8 is appended as is).
    @discardableResult
    static func appendBytes(spelledBy token: some StringProtocol, to out: inout [UInt8]) -> Bool {
        var clean = true
        for scalar in token.unicodeScalars {
            if let byte = byte(for: scalar) {
                out.append(byte)
            } else {
                clean = false
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return clean
    }

    /// The byte-level spelling of `bytes`.
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(scalarForByte[Int(byte)]) }
        return String(scalars)
    }

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21 ... 0x7E).contains(byte) || (0xA1 ... 0xAC).contains(byte) || (0xAE ... 0xFF).contains(byte)
    }
}
