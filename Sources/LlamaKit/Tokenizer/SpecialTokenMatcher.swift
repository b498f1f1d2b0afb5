/// Finds the texts of special tokens (such as `<|im_start|>`) in text to encode, so they become single
/// tokens instead of being spelled out by BPE.
///
/// User-defined tokens are always matched; control and unknown tokens only when the caller asks to parse
/// special tokens. That is what llama.cpp does, and what Hugging Face does with added tokens that are not
/// special. Matching is leftmost-longest.
struct SpecialTokenMatcher: Sendable {
    /// A piece of the text to encode: either ordinary text (a range of scalar indices) or a special token.
    enum Segment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private struct Entry: Sendable {
        let scalars: [UInt32]
        let id: Int32
        let alwaysMatched: Bool
    }

    /// Candidates by first scalar, longest first.
    private let byFirstScalar: [UInt32: [Entry]]

    init(tokens: [String], kinds: [TokenKind]) {
        var table: [UInt32: [Entry]] = [:]
        for (index, (text, kind)) in zip(tokens, kinds).enumerated() {
            guard kind == .control || kind == .userDefined || kind == .unknown else { continue }
            let scalars = text.unicodeScalars.map(\.value)
            guard let first = scalars.first else { continue }
            table[first, default: []].append(Entry(scalars: scalars, id: Int32(index), alwaysMatched: kind == .userDefined))
        }
        for key in table.keys {
            // Longest first; equal lengths by id so the order does not depend on hashing.
            table[key]?.sort { ($0.scalars.count, -$0.id) > ($1.scalars.count, -$1.id) }
        }
        byFirstScalar = table
    }

    /// Cuts `values` (scalar values of the text) into ordinary text and special tokens.
    func segments(_ values: [UInt32], parseSpecial: Bool) -> [Segment] {
        guard !byFirstScalar.isEmpty else { return values.isEmpty ? [] : [.text(0 ..< values.count)] }
        var segments: [Segment] = []
        var textStart = 0
        var i = 0
        while i < values.count {
            if let candidates = byFirstScalar[values[i]],
               let entry = candidates.first(where: { ($0.alwaysMatched || parseSpecial) && Self.matches($0.scalars, values, at: i) }) {
                if textStart < i { segments.append(.text(textStart ..< i)) }
                segments.append(.token(entry.id))
                i += entry.scalars.count
                textStart = i
            } else {
                i += 1
            }
        }
        if textStart < values.count { segments.append(.text(textStart ..< values.count)) }
        return segments
    }

    private static func matches(_ needle: [UInt32], _ haystack: [UInt32], at start: Int) -> Bool {
        guard haystack.count - start >= needle.count else { return false }
        for (offset, value) in needle.enumerated() where haystack[start + offset] != value { return false }
        return true
    }
}
