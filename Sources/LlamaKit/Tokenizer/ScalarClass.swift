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

    /// The class of `scalar`. ASCII, the common case, is a table lookup.
    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        let value = scalar.value
        if value < 128 { return asciiTable[Int(value)] }
        return classify(scalar)
    }

    private static let asciiTable: [ScalarClass] = (0 ..< 128).map { classify(Unicode.Scalar(UInt8($0))) }

    private static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
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

/// Text prepared for pre-tokenization: each scalar's value and class, computed once per encode.
struct ClassifiedText {
    var values: [UInt32] = []
    var classes: [ScalarClass] = []

    init<S: Sequence<Unicode.Scalar>>(_ scalars: S) {
        for scalar in scalars {
            values.append(scalar.value)
            classes.append(ScalarClass.of(scalar))
        }
    }
}
