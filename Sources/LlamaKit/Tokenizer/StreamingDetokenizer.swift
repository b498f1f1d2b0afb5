/// Turns tokens into text one at a time, as they are generated, without ever emitting half a character.
///
/// A byte-level token can end in the middle of a multi-byte UTF-8 character (an emoji is often two or three
/// tokens), so decoding tokens one by one would print replacement characters. This keeps the bytes of an
/// unfinished character until the tokens that complete it arrive.
///
/// Text is only ever cut just before a byte that starts a character, and a UTF-8 decoder restarts at such
/// a byte whatever came before it, so the concatenated output equals ``Tokenizer/decode(_:)`` of all the
/// tokens, invalid bytes included.
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: any Tokenizer
    /// Bytes of a character whose remaining bytes have not arrived yet (at most 3).
    private var pending: [UInt8] = []

    /// A stream that decodes with `tokenizer`.
    public init(tokenizer: any Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// Adds one token and returns the text it completes (possibly empty).
    public mutating func append(_ id: Int32) throws(TokenizerError) -> String {
        pending.append(contentsOf: try tokenizer.tokenBytes(id))
        let keep = Self.incompleteSuffixLength(pending)
        let ready = pending[..<(pending.count - keep)]
        let text = String(decoding: ready, as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// Adds several tokens and returns the text they complete.
    public mutating func append(contentsOf ids: some Sequence<Int32>) throws(TokenizerError) -> String {
        var text = ""
        for id in ids { text += try append(id) }
        return text
    }

    /// Returns whatever is left (an unfinished character becomes U+FFFD) and resets the stream.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Whether bytes of an unfinished character are waiting.
    public var hasPendingBytes: Bool { !pending.isEmpty }

    /// How many bytes at the end of `bytes` are the start of a character that more bytes could still
    /// complete validly. Zero if the end is complete, or if it can never become valid (then it is
    /// emitted now, as U+FFFD, rather than held back).
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        // Walk back over at most three continuation bytes to the byte that starts the last character.
        var start = bytes.count
        while start > 0, bytes.count - start < 3, bytes[start - 1] & 0xC0 == 0x80 { start -= 1 }
        guard start > 0 else { return 0 }
        let lead = bytes[start - 1]
        let needed: Int
        switch lead {
        case 0xC2 ... 0xDF: needed = 2
        case 0xE0 ... 0xEF: needed = 3
        case 0xF0 ... 0xF4: needed = 4
        default: return 0 // ASCII, a stray continuation byte, or a byte that never starts a character
        }
        let have = bytes.count - (start - 1)
        guard have < needed else { return 0 }
        // The second byte of some sequences has a narrower range (no overlongs, no surrogates, nothing
        // past U+10FFFF); a second byte outside it can never be completed.
        if have >= 2 {
            let second = bytes[start]
            let valid: ClosedRange<UInt8>
            switch lead {
            case 0xE0: valid = 0xA0 ... 0xBF
            case 0xED: valid = 0x80 ... 0x9F
            case 0xF0: valid = 0x90 ... 0xBF
            case 0xF4: valid = 0x80 ... 0x8F
            default: valid = 0x80 ... 0xBF
            }
            guard valid.contains(second) else { return 0 }
        }
        return have
    }
}
