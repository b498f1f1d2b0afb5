/// Python's case conversions, which differ from Swift's `capitalized` (Python's `title()` starts a word
/// after any uncased character, so `"they're"` becomes `"They'Re"`).
enum PythonCase {
    private static func isCased(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter: return true
        default: return false
        }
    }

    /// `str.title()`.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s.unicodeScalars {
            out += previousCased ? c.properties.lowercaseMapping : c.properties.titlecaseMapping
            previousCased = isCased(c)
        }
        return out
    }

    /// `str.capitalize()`: the first character in title case, the rest in lower case.
    static func capitalize(_ s: String) -> String {
        var out = ""
        for (i, c) in s.unicodeScalars.enumerated() {
            out += i == 0 ? c.properties.titlecaseMapping : c.properties.lowercaseMapping
        }
        return out
    }

    static func swapcase(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c.properties.generalCategory {
            case .uppercaseLetter: out += c.properties.lowercaseMapping
            case .lowercaseLetter: out += c.properties.uppercaseMapping
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func isUpper(_ s: String) -> Bool {
        var sawCased = false
        for c in s.unicodeScalars {
            switch c.properties.generalCategory {
            case .lowercaseLetter, .titlecaseLetter: return false
            case .uppercaseLetter: sawCased = true
            default: break
            }
        }
        return sawCased
    }

    static func isLower(_ s: String) -> Bool {
        var sawCased = false
        for c in s.unicodeScalars {
            switch c.properties.generalCategory {
            case .uppercaseLetter, .titlecaseLetter: return false
            case .lowercaseLetter: sawCased = true
            default: break
            }
        }
        return sawCased
    }
}

/// Python's `split`, `rsplit`, `splitlines` and `replace`, by code point.
enum PythonSplit {
    static func split(_ s: String, separator: String?, maxSplit: Int, fromRight: Bool) -> [String] {
        let scalars = Array(s.unicodeScalars)
        guard let separator else { return splitWhitespace(scalars, maxSplit: maxSplit, fromRight: fromRight) }
        let sep = Array(separator.unicodeScalars)
        if fromRight {
            let reversedParts = split(PythonText.make(scalars.reversed()), separator: PythonText.make(sep.reversed()),
                                      maxSplit: maxSplit, fromRight: false)
            return reversedParts.reversed().map { PythonText.make($0.unicodeScalars.reversed()) }
        }
        let limit = maxSplit < 0 ? Int.max : maxSplit
        let cuts = PythonText.occurrences(of: sep, in: scalars, limit: limit)
        var parts: [String] = []
        var start = 0
        for cut in cuts {
            parts.append(PythonText.make(scalars[start ..< cut]))
            start = cut + sep.count
        }
        parts.append(PythonText.make(scalars[start...]))
        return parts
    }

    private static func splitWhitespace(_ scalars: [Unicode.Scalar], maxSplit: Int, fromRight: Bool) -> [String] {
        if fromRight {
            let parts = splitWhitespace(scalars.reversed(), maxSplit: maxSplit, fromRight: false)
            return parts.reversed().map { PythonText.make($0.unicodeScalars.reversed()) }
        }
        var parts: [String] = []
        var i = 0
        let limit = maxSplit < 0 ? Int.max : maxSplit
        while true {
            while i < scalars.count, PythonText.isWhitespace(scalars[i]) { i += 1 }
            guard i < scalars.count else { break }
            if parts.count == limit {
                parts.append(PythonText.make(scalars[i...]))
                break
            }
            let start = i
            while i < scalars.count, !PythonText.isWhitespace(scalars[i]) { i += 1 }
            parts.append(PythonText.make(scalars[start ..< i]))
        }
        return parts
    }

    static func splitLines(_ s: String, keepEnds: Bool) -> [String] {
        let scalars = Array(s.unicodeScalars)
        var parts: [String] = []
        var start = 0
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            var breakLength = 0
            switch c.value {
            case 0x0D: breakLength = i + 1 < scalars.count && scalars[i + 1] == "\n" ? 2 : 1
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: breakLength = 1
            default: break
            }
            if breakLength > 0 {
                parts.append(PythonText.make(scalars[start ..< (keepEnds ? i + breakLength : i)]))
                i += breakLength
                start = i
            } else {
                i += 1
            }
        }
        if start < scalars.count { parts.append(PythonText.make(scalars[start...])) }
        return parts
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        let scalars = Array(s.unicodeScalars)
        let limit = count < 0 ? Int.max : count
        if old.isEmpty {
            var out = String.UnicodeScalarView()
            var done = 0
            for c in scalars {
                if done < limit {
                    out.append(contentsOf: new.unicodeScalars)
                    done += 1
                }
                out.append(c)
            }
            if done < limit { out.append(contentsOf: new.unicodeScalars) }
            return String(out)
        }
        let oldScalars = Array(old.unicodeScalars)
        let cuts = PythonText.occurrences(of: oldScalars, in: scalars, limit: limit)
        var out = String.UnicodeScalarView()
        var start = 0
        for cut in cuts {
            out.append(contentsOf: scalars[start ..< cut])
            out.append(contentsOf: new.unicodeScalars)
            start = cut + oldScalars.count
        }
        out.append(contentsOf: scalars[start...])
        return String(out)
    }
}
