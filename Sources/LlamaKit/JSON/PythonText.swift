/// Python's string semantics, which chat templates rely on and Swift's `String` does not share:
/// Python compares and measures strings by code point (Swift by grapheme and canonical equivalence),
/// and `str.strip()` uses its own whitespace set.
enum PythonText {
    /// `str.isspace()` for one code point: the characters `str.strip()` and `str.split()` remove.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09 ... 0x0D, 0x1C ... 0x20, 0x85, 0xA0, 0x1680, 0x2000 ... 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `str.strip(chars)`; `nil` strips whitespace.
    static func strip(_ s: String, _ chars: String? = nil, leading: Bool = true, trailing: Bool = true) -> String {
        let scalars = Array(s.unicodeScalars)
        let set = chars.map { Set($0.unicodeScalars) }
        func strippable(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isWhitespace(c) }
        var start = 0
        var end = scalars.count
        if leading { while start < end, strippable(scalars[start]) { start += 1 } }
        if trailing { while end > start, strippable(scalars[end - 1]) { end -= 1 } }
        return make(scalars[start ..< end])
    }

    static func make<C: Collection>(_ scalars: C) -> String where C.Element == Unicode.Scalar {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    /// Code-point equality (Swift's `==` would also equate canonically equivalent spellings).
    static func equal(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.elementsEqual(b.unicodeScalars)
    }

    /// Code-point order, as Python's `<` on strings.
    static func less(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }

    /// The offsets (in code points) where `needle` occurs in `haystack`, left to right, not overlapping.
    static func occurrences(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar], limit: Int = .max) -> [Int] {
        guard !needle.isEmpty, needle.count <= haystack.count else { return [] }
        var found: [Int] = []
        var i = 0
        while i + needle.count <= haystack.count, found.count < limit {
            if haystack[i] == needle[0], haystack[i ..< i + needle.count].elementsEqual(needle) {
                found.append(i)
                i += needle.count
            } else {
                i += 1
            }
        }
        return found
    }

    /// `needle in haystack` for strings.
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        if needle.isEmpty { return true }
        return !occurrences(of: Array(needle.unicodeScalars), in: Array(haystack.unicodeScalars), limit: 1).isEmpty
    }

    /// `repr(str)`: single quotes unless the text has a single quote and no double quote; non-printable
    /// characters escaped.
    static func repr(_ s: String) -> String {
        let quote: Unicode.Scalar = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"") ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            default:
                if c == quote {
                    out.append("\\")
                    out.append(c)
                } else if isPrintable(c) {
                    out.append(c)
                } else {
                    let hex = String(c.value, radix: 16)
                    let (prefix, width) = c.value < 0x100 ? ("\\x", 2) : c.value < 0x10000 ? ("\\u", 4) : ("\\U", 8)
                    out.append(contentsOf: (prefix + String(repeating: "0", count: max(0, width - hex.count)) + hex).unicodeScalars)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    /// `str.isprintable()` for one code point: everything but control, format, surrogate, private-use,
    /// unassigned and separator characters (the ASCII space excepted).
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return true }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }
}
