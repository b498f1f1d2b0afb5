/// Finds the texts of special tokens (such as `<|eot_id|>`) in text to encode, so they become single
/// tokens instead of being spelled out by BPE.
///
/// User-defined tokens (Hugging Face added tokens that are not special) are always matched; control and
/// unknown tokens only when the caller asks to parse special tokens. That is what llama.cpp does, and what
/// Hugging Face does with `encode_special_tokens` set when special tokens are not parsed. Matching is
/// leftmost-longest, on UTF-8 bytes.
struct SpecialTokenMatcher: Sendable {
    /// A piece of the text to encode: either ordinary text (a range of byte offsets) or a special token.
    enum Segment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private struct Entry: Sendable {
        let bytes: [UInt8]
        let id: Int32
        let alwaysMatched: Bool
    }

    /// Candidates by first byte, longest first.
    private let byFirstByte: [[Entry]]
    /// Whether any token is matched even when special tokens are not parsed.
    let hasAlwaysMatched: Bool
    /// Whether there is anything to match at all.
    let isEmpty: Bool

    /// Collects the control, unknown and user-defined tokens of a vocabulary.
    init(tokens: [(bytes: [UInt8], id: Int32, kind: TokenKind)]) {
        var table = Array(repeating: [Entry](), count: 256)
        var always = false
        var any = false
        for token in tokens {
            guard token.kind == .control || token.kind == .userDefined || token.kind == .unknown,
                  let first = token.bytes.first else { continue }
            table[Int(first)].append(Entry(bytes: token.bytes, id: token.id, alwaysMatched: token.kind == .userDefined))
            always = always || token.kind == .userDefined
            any = true
        }
        for key in table.indices {
            // Longest first; equal lengths by id so the order does not depend on the input order.
            table[key].sort { ($0.bytes.count, -$0.id) > ($1.bytes.count, -$1.id) }
        }
        byFirstByte = table
        hasAlwaysMatched = always
        isEmpty = !any
    }

    /// Whether `segments` can find anything in this mode; if not, the whole text is ordinary text.
    func matchesAnything(parseSpecial: Bool) -> Bool {
        parseSpecial ? !isEmpty : hasAlwaysMatched
    }

    /// Cuts `bytes[0 ..< count]` into ordinary text and special tokens.
    func segments(_ bytes: UnsafePointer<UInt8>, count: Int, parseSpecial: Bool) -> [Segment] {
        var segments: [Segment] = []
        var textStart = 0
        var i = 0
        while i < count {
            let candidates = byFirstByte[Int(bytes[i])]
            if !candidates.isEmpty,
               let entry = candidates.first(where: { ($0.alwaysMatched || parseSpecial) && Self.matches($0.bytes, bytes, count, at: i) }) {
                if textStart < i { segments.append(.text(textStart ..< i)) }
                segments.append(.token(entry.id))
                i += entry.bytes.count
                textStart = i
            } else {
                i += 1
            }
        }
        if textStart < count { segments.append(.text(textStart ..< count)) }
        return segments
    }

    private static func matches(_ needle: [UInt8], _ haystack: UnsafePointer<UInt8>, _ count: Int, at start: Int) -> Bool {
        guard count - start >= needle.count else { return false }
        for (offset, value) in needle.enumerated() where haystack[start + offset] != value { return false }
        return true
    }
}
