/// The character classes the pre-tokenizer regexes are written in: `\p{L}`, `\p{N}`, `\s`, and the rest.
enum ScalarClass: UInt8, Sendable {
    /// `\p{L}`: general categories Lu, Ll, Lt, Lm, Lo.
    case letter
    /// `\p{N}`: general categories Nd, Nl, No.
    case number
    /// `\s`: the Unicode White_Space property.
    case whitespace
    /// Everything else: punctuation, symbols, marks, controls, unassigned.
    case other

    /// The class of `scalar`, worked out from its Unicode properties (slow; the scanners use ``ScalarClassTable``).
    static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        let properties = scalar.properties
        // White_Space first: U+0085 is a control (Cc) but still `\s`.
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}

/// The class of every scalar in Unicode planes 0 and 1, one byte each, built once per process (about
/// 10 ms) so that scanning text costs one load per scalar. Scalars in higher planes (rare: CJK extensions,
/// private use) are classified from their properties as they come.
///
/// The table is written once, in `init`, and only read afterwards, so sharing it between threads is safe.
final class ScalarClassTable: @unchecked Sendable {
    /// Scalars below this value are in the table.
    static let tableLimit = 0x2_0000

    /// The table every tokenizer in the process shares.
    static let shared = ScalarClassTable()

    /// `classes[v]` is the raw ``ScalarClass`` of scalar value `v` (surrogates are `.other`).
    let classes: UnsafeMutablePointer<UInt8>

    private init() {
        classes = .allocate(capacity: Self.tableLimit)
        for value in 0 ..< Self.tableLimit {
            guard let scalar = Unicode.Scalar(UInt32(value)) else {
                classes[value] = ScalarClass.other.rawValue // surrogates
                continue
            }
            // White_Space is a short fixed list (checked against the properties in the tests); only the
            // general category needs a property lookup.
            let cls: ScalarClass
            if Self.whitespace.contains(UInt32(value)) {
                cls = .whitespace
            } else {
                switch scalar.properties.generalCategory {
                case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: cls = .letter
                case .decimalNumber, .letterNumber, .otherNumber: cls = .number
                default: cls = .other
                }
            }
            classes[value] = cls.rawValue
        }
    }

    /// The Unicode White_Space scalars (unchanged since Unicode 6.3).
    static let whitespace: Set<UInt32> = [
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
        0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    ]

    deinit { classes.deallocate() }

    /// The class of scalar value `value`.
    @inline(__always)
    func classOf(_ value: UInt32) -> UInt8 {
        if value < UInt32(Self.tableLimit) { return classes[Int(value)] }
        return (Unicode.Scalar(value).map(ScalarClass.classify) ?? .other).rawValue
    }
}

/// Valid UTF-8 read one scalar at a time, with each scalar's class: what the hand-written pre-tokenizers
/// scan. The bytes come from a Swift `String`, so they are always well-formed.
struct UTF8Scanner {
    let bytes: UnsafePointer<UInt8>
    let table: ScalarClassTable

    static let letter = ScalarClass.letter.rawValue
    static let number = ScalarClass.number.rawValue
    static let whitespace = ScalarClass.whitespace.rawValue
    static let other = ScalarClass.other.rawValue

    /// The scalar starting at byte `i`, its length in bytes, and its class.
    @inline(__always)
    func scalar(at i: Int) -> (value: UInt32, length: Int, cls: UInt8) {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (b0, 1, table.classes[Int(b0)]) }
        let value: UInt32
        let length: Int
        if b0 < 0xE0 {
            value = (b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
            length = 2
        } else if b0 < 0xF0 {
            value = (b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
            length = 3
        } else {
            value = (b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
            length = 4
        }
        return (value, length, table.classOf(value))
    }

    /// The class of the scalar at byte `i` and its length.
    @inline(__always)
    func classAt(_ i: Int) -> (cls: UInt8, length: Int) {
        let b0 = bytes[i]
        if b0 < 0x80 { return (table.classes[Int(b0)], 1) }
        let s = scalar(at: i)
        return (s.cls, s.length)
    }

    /// The end of the run of scalars of class `cls` that continues at byte `start`.
    @inline(__always)
    func run(of cls: UInt8, from start: Int, end: Int) -> Int {
        var k = start
        while k < end {
            let b = bytes[k]
            if b < 0x80 {
                guard table.classes[Int(b)] == cls else { break }
                k += 1
            } else {
                let s = scalar(at: k)
                guard s.cls == cls else { break }
                k += s.length
            }
        }
        return k
    }
}
