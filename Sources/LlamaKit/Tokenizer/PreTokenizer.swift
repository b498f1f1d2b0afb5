/// How text is cut into words before BPE merges run inside each word.
///
/// Byte-level BPE vocabularies are trained on words cut by a regular expression, and encoding must cut the
/// same way or merges that never crossed a word boundary in training will (or will not) apply. Each case
/// here is one of those expressions, written as a hand-made scanner over UTF-8 bytes rather than a regex
/// engine: the patterns are fixed, the scanners are linear, and they need nothing outside the standard
/// library. `\p{L}`, `\p{N}` and `\s` mean what ``ScalarClass`` says. Other patterns found in
/// `tokenizer.json` files go through ``PreTokenizerPipeline`` and a general regex engine.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM / StarCoder: every `\p{N}` scalar is a word of its own, then GPT-2 splits the text between
    /// them. (Hugging Face: `Digits(individual_digits: true)` then `ByteLevel`; llama.cpp: `\p{N}` then
    /// the GPT-2 pattern.) Digits therefore never merge with each other or with a space before them.
    case smollm
    /// Llama 3:
    ///
    /// ```
    /// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    /// ```
    ///
    /// The case-insensitive contractions fold ASCII letters only, as tiktoken and llama.cpp do.
    case llama3

    /// The GPT-2 pattern as `tokenizer.json` files spell it.
    public static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    /// The Llama 3 pattern as Meta's tokenizer.py and `tokenizer.json` files spell it.
    public static let llama3Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

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

    /// Whether a word that is itself a vocabulary token is emitted whole, without running merges, in a
    /// GGUF file (llama.cpp's `ignore_merges` for `llama-bpe`). Llama 3's merges cannot rebuild every token.
    var ignoresMerges: Bool { self == .llama3 }

    /// Whether the model family expects a BOS token when the file does not say.
    var addsBOSByDefault: Bool { self == .llama3 }

    /// The words of `text`, as lengths in Unicode scalars (for tests and tools; encoding uses
    /// ``forEachWord(_:_:_:)`` on bytes).
    public func wordLengths(_ text: String) -> [Int] {
        var text = text
        return text.withUTF8 { buffer -> [Int] in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return [] }
            let scanner = UTF8Scanner(bytes: base, table: .shared)
            var lengths: [Int] = []
            forEachWord(scanner, 0 ..< buffer.count) { start, end in
                lengths.append(String(decoding: buffer[start ..< end], as: UTF8.self).unicodeScalars.count)
            }
            return lengths
        }
    }

    /// Calls `body(start, end)` with the byte range of each word of `range`, in order; the words cover the
    /// range exactly.
    @inline(__always)
    func forEachWord(_ text: UTF8Scanner, _ range: Range<Int>, _ body: (Int, Int) -> Void) {
        switch self {
        case .gpt2:
            Self.splitGPT2(text, range, body)
        case .smollm:
            var start = range.lowerBound
            var i = range.lowerBound
            while i < range.upperBound {
                let (cls, length) = text.classAt(i)
                if cls == UTF8Scanner.number {
                    if start < i { Self.splitGPT2(text, start ..< i, body) }
                    body(i, i + length)
                    start = i + length
                }
                i += length
            }
            if start < range.upperBound { Self.splitGPT2(text, start ..< range.upperBound, body) }
        case .llama3:
            var i = range.lowerBound
            while i < range.upperBound {
                let end = Self.llama3Word(text, at: i, end: range.upperBound)
                body(i, end)
                i = end
            }
        }
    }

    // MARK: Scanners

    private static let space: UInt32 = 0x20
    private static let apostrophe: UInt32 = 0x27
    private static let carriageReturn: UInt8 = 0x0D
    private static let lineFeed: UInt8 = 0x0A

    @inline(__always)
    private static func splitGPT2(_ text: UTF8Scanner, _ range: Range<Int>, _ body: (Int, Int) -> Void) {
        var i = range.lowerBound
        while i < range.upperBound {
            let end = gpt2Word(text, at: i, end: range.upperBound)
            body(i, end)
            i = end
        }
    }

    /// The end of the GPT-2 word starting at byte `i`; always past `i`.
    private static func gpt2Word(_ text: UTF8Scanner, at i: Int, end: Int) -> Int {
        let (c, length, cls) = text.scalar(at: i)
        // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
        if c == apostrophe, let n = contraction(text.bytes, at: i, end: end, ignoringCase: false) {
            return i + n
        }
        // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: one optional space, then a run of one class.
        var j = i, runClass = cls
        if c == space, i + 1 < end {
            let next = text.classAt(i + 1).cls
            if next != UTF8Scanner.whitespace { j = i + 1; runClass = next }
        }
        if runClass != UTF8Scanner.whitespace {
            let first = j == i ? length : text.classAt(j).length
            return text.run(of: runClass, from: j + first, end: end)
        }
        return whitespaceRun(text, at: i, end: end)
    }

    /// The end of the Llama 3 word starting at byte `i`; always past `i`.
    @inline(__always)
    private static func llama3Word(_ text: UTF8Scanner, at i: Int, end: Int) -> Int {
        let bytes = text.bytes
        let (c, length, cls) = text.scalar(at: i)
        // [^\r\n\p{L}\p{N}]?\p{L}+ when it starts with a letter (the common case first).
        if cls == UTF8Scanner.letter {
            return text.run(of: UTF8Scanner.letter, from: i + length, end: end)
        }
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if c == apostrophe, let n = contraction(bytes, at: i, end: end, ignoringCase: true) {
            return i + n
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+ with the optional scalar present.
        let next = i + length
        if cls != UTF8Scanner.number, c != UInt32(carriageReturn), c != UInt32(lineFeed), next < end {
            let (nextClass, nextLength) = text.classAt(next)
            if nextClass == UTF8Scanner.letter {
                return text.run(of: UTF8Scanner.letter, from: next + nextLength, end: end)
            }
        }
        // \p{N}{1,3}
        if cls == UTF8Scanner.number {
            var k = next
            var count = 1
            while count < 3, k < end {
                let (nextClass, nextLength) = text.classAt(k)
                guard nextClass == UTF8Scanner.number else { break }
                k += nextLength
                count += 1
            }
            return k
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var j = i, startClass = cls, startLength = length
        if c == space, next < end {
            let (nextClass, nextLength) = text.classAt(next)
            if nextClass == UTF8Scanner.other { j = next; startClass = nextClass; startLength = nextLength }
        }
        if startClass == UTF8Scanner.other {
            var k = text.run(of: UTF8Scanner.other, from: j + startLength, end: end)
            while k < end, bytes[k] == carriageReturn || bytes[k] == lineFeed { k += 1 }
            return k
        }
        // \s*[\r\n]+ : the whitespace run up to and including its last line break.
        var k = i
        var lastBreakEnd = -1
        var lastStart = i
        while k < end {
            let b = bytes[k]
            if b == carriageReturn || b == lineFeed {
                lastStart = k
                k += 1
                lastBreakEnd = k
                continue
            }
            let (nextClass, nextLength) = text.classAt(k)
            guard nextClass == UTF8Scanner.whitespace else { break }
            lastStart = k
            k += nextLength
        }
        if lastBreakEnd >= 0 { return lastBreakEnd }
        // \s+(?!\S)|\s+ : a run that reaches the end is taken whole; otherwise its last scalar is left to
        // start the next word (so " word" keeps its space), unless the run is a single scalar.
        if k == end || lastStart == i { return k }
        return lastStart
    }

    /// `\s+(?!\S)|\s+` at byte `i`, where the scalar at `i` is whitespace.
    private static func whitespaceRun(_ text: UTF8Scanner, at i: Int, end: Int) -> Int {
        var k = i
        var lastStart = i
        while k < end {
            let (cls, length) = text.classAt(k)
            guard cls == UTF8Scanner.whitespace else { break }
            lastStart = k
            k += length
        }
        if k == end || lastStart == i { return k }
        return lastStart
    }

    /// The length of the English contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`) at byte `i`, if any.
    @inline(__always)
    private static func contraction(_ bytes: UnsafePointer<UInt8>, at i: Int, end: Int, ignoringCase: Bool) -> Int? {
        guard i + 1 < end else { return nil }
        func letter(_ k: Int) -> UInt8 {
            let v = bytes[k]
            // ASCII only, as tiktoken and llama.cpp fold the case-insensitive pattern.
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
