/// How text is cut into words before BPE merges run inside each word.
///
/// Byte-level BPE vocabularies are trained on words cut by a regular expression, and encoding must cut the
/// same way or merges that never crossed a word boundary in training will (or will not) apply. Each case
/// here is one of those expressions, written as a hand-made scanner over Unicode scalars rather than a regex
/// engine: the patterns are fixed, the scanners are linear, and they need nothing outside the standard
/// library. `\p{L}`, `\p{N}` and `\s` mean what ``ScalarClass`` says.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM / StarCoder: every `\p{N}` scalar is a word of its own, then GPT-2 splits the text between
    /// them. (Hugging Face: `Digits(individual_digits: true)` then `ByteLevel`; llama.cpp: `\p{N}` then
    /// the GPT-2 pattern.) Digits therefore never merge with each other or with a space before them.
    case smollm
    /// Llama 3 (also emits a word that is itself a token without merging it):
    ///
    /// ```
    /// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    /// ```
    case llama3

    /// The `tokenizer.ggml.pre` values each case implements, as llama.cpp names them.
    static let ggufNames: [String: PreTokenizer] = [
        "gpt2": .gpt2,
        "smollm": .smollm,
        "llama3": .llama3, "llama-v3": .llama3, "llama-bpe": .llama3,
    ]

    /// Every `tokenizer.ggml.pre` value LlamaKit accepts, sorted.
    public static var supportedGGUFNames: [String] { ggufNames.keys.sorted() }

    /// The pre-tokenizer a GGUF file names in `tokenizer.ggml.pre`.
    public init(ggufName: String) throws(TokenizerError) {
        guard let value = Self.ggufNames[ggufName] else {
            throw .unsupportedPreTokenizer(ggufName, supported: Self.supportedGGUFNames)
        }
        self = value
    }

    /// Whether a word that is itself a vocabulary token is emitted whole, without running merges
    /// (Hugging Face `ignore_merges`). Llama 3's merges cannot rebuild every token in its vocabulary.
    var ignoresMerges: Bool { self == .llama3 }

    /// Whether the model family expects a BOS token when the file does not say.
    var addsBOSByDefault: Bool { self == .llama3 }

    /// Cuts `text[range]` into words, appending their scalar ranges to `words`.
    func split(_ text: ClassifiedText, _ range: Range<Int>, into words: inout [Range<Int>]) {
        switch self {
        case .gpt2:
            Self.splitGPT2(text, range, into: &words)
        case .smollm:
            var start = range.lowerBound
            for i in range where text.classes[i] == .number {
                if start < i { Self.splitGPT2(text, start ..< i, into: &words) }
                words.append(i ..< i + 1)
                start = i + 1
            }
            if start < range.upperBound { Self.splitGPT2(text, start ..< range.upperBound, into: &words) }
        case .llama3:
            var i = range.lowerBound
            while i < range.upperBound {
                let length = Self.llama3Word(text, at: i, end: range.upperBound)
                words.append(i ..< i + length)
                i += length
            }
        }
    }

    // MARK: Scanners

    private static let space: UInt32 = 0x20
    private static let apostrophe: UInt32 = 0x27
    private static let carriageReturn: UInt32 = 0x0D
    private static let lineFeed: UInt32 = 0x0A

    private static func splitGPT2(_ text: ClassifiedText, _ range: Range<Int>, into words: inout [Range<Int>]) {
        var i = range.lowerBound
        while i < range.upperBound {
            let length = gpt2Word(text, at: i, end: range.upperBound)
            words.append(i ..< i + length)
            i += length
        }
    }

    /// The length of the GPT-2 word starting at `i`; always at least 1.
    private static func gpt2Word(_ text: ClassifiedText, at i: Int, end: Int) -> Int {
        let values = text.values, classes = text.classes
        let c = values[i]
        // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
        if c == apostrophe, let length = contraction(values, at: i, end: end, ignoringCase: false) {
            return length
        }
        // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: one optional space, then a run of one class.
        let j = (c == space && i + 1 < end && classes[i + 1] != .whitespace) ? i + 1 : i
        let cls = classes[j]
        if cls != .whitespace {
            return run(of: cls, classes, from: j + 1, end: end) - i
        }
        return whitespaceRun(classes, at: i, end: end)
    }

    /// The length of the Llama 3 word starting at `i`; always at least 1.
    private static func llama3Word(_ text: ClassifiedText, at i: Int, end: Int) -> Int {
        let values = text.values, classes = text.classes
        let c = values[i], cls = classes[i]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if c == apostrophe, let length = contraction(values, at: i, end: end, ignoringCase: true) {
            return length
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if cls == .letter {
            return run(of: .letter, classes, from: i + 1, end: end) - i
        }
        if cls != .number, c != carriageReturn, c != lineFeed, i + 1 < end, classes[i + 1] == .letter {
            return run(of: .letter, classes, from: i + 2, end: end) - i
        }
        // \p{N}{1,3}
        if cls == .number {
            var k = i + 1
            while k < end, k < i + 3, classes[k] == .number { k += 1 }
            return k - i
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let j = (c == space && i + 1 < end && classes[i + 1] == .other) ? i + 1 : i
        if classes[j] == .other {
            var k = run(of: .other, classes, from: j + 1, end: end)
            while k < end, values[k] == carriageReturn || values[k] == lineFeed { k += 1 }
            return k - i
        }
        // \s*[\r\n]+ : the whitespace run up to and including its last line break.
        var k = i
        var lastBreak = -1
        while k < end, classes[k] == .whitespace {
            if values[k] == carriageReturn || values[k] == lineFeed { lastBreak = k }
            k += 1
        }
        if lastBreak >= 0 { return lastBreak + 1 - i }
        return whitespaceRun(classes, at: i, end: end)
    }

    /// `\s+(?!\S)|\s+` at `i`, where `classes[i]` is whitespace: a run that reaches the end is taken
    /// whole; otherwise its last scalar is left to start the next word (so " word" keeps its space),
    /// unless the run is a single scalar.
    private static func whitespaceRun(_ classes: [ScalarClass], at i: Int, end: Int) -> Int {
        let k = run(of: .whitespace, classes, from: i + 1, end: end)
        if k == end || k - i == 1 { return k - i }
        return k - i - 1
    }

    /// The end of the run of `cls` that continues at `start`.
    @inline(__always)
    private static func run(of cls: ScalarClass, _ classes: [ScalarClass], from start: Int, end: Int) -> Int {
        var k = start
        while k < end, classes[k] == cls { k += 1 }
        return k
    }

    /// The length of the English contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`) at `i`, if any.
    private static func contraction(_ values: [UInt32], at i: Int, end: Int, ignoringCase: Bool) -> Int? {
        guard i + 1 < end else { return nil }
        func letter(_ k: Int) -> UInt32 {
            let v = values[k]
            // ASCII only, as llama.cpp spells the case-insensitive pattern ('[sS]' ...).
            return ignoringCase && v >= 0x41 && v <= 0x5A ? v + 0x20 : v
        }
        switch letter(i + 1) {
        case 0x73, 0x74, 0x6D, 0x64: // s t m d
            return 2
        case 0x72, 0x76: // r v: 're 've
            return i + 2 < end && letter(i + 2) == 0x65 ? 3 : nil
        case 0x6C: // l: 'll
            return i + 2 < end && letter(i + 2) == 0x6C ? 3 : nil
        default:
            return nil
        }
    }
}
