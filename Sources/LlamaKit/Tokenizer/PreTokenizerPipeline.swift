/// A `tokenizer.json` pre-tokenizer: a sequence of splitting steps, each cutting every piece the previous
/// step made into smaller pieces.
///
/// Steps whose pattern is one of the known ones (``PreTokenizer/llama3Pattern``, ``PreTokenizer/gpt2Pattern``,
/// `ByteLevel` with `use_regex`, and `Digits` + `ByteLevel` as SmolLM has them) run as LlamaKit's hand-written
/// scanners; any other `Split` pattern runs on Swift's `Regex` engine with Unicode-scalar semantics, which
/// is correct but much slower.
public struct PreTokenizerPipeline: Sendable {
    /// What `Split` does with the pieces its pattern matches (Hugging Face `SplitDelimiterBehavior`).
    public enum Behavior: String, Sendable, CaseIterable {
        /// Matches are dropped.
        case removed = "Removed"
        /// Matches and the text between them are separate pieces.
        case isolated = "Isolated"
        /// Each match joins the piece before it.
        case mergedWithPrevious = "MergedWithPrevious"
        /// Each match joins the piece after it.
        case mergedWithNext = "MergedWithNext"
        /// Neighbouring matches join into one piece.
        case contiguous = "Contiguous"
    }

    /// One splitting step.
    public enum Step: Sendable, Equatable {
        /// A hand-written scanner.
        case scanner(PreTokenizer)
        /// Hugging Face `Split` with a regular expression. `invert` swaps matches and the text between them.
        case split(pattern: String, behavior: Behavior, invert: Bool)
        /// Hugging Face `Digits`: `\p{N}` scalars become pieces of their own (`individual`) or runs of them do.
        case digits(individual: Bool)
    }

    /// The steps, in order.
    public let steps: [Step]
    /// Whether a space is put in front of each text segment that does not start with one (Hugging Face
    /// `ByteLevel(add_prefix_space: true)` as the first step).
    public let addsPrefixSpace: Bool
    private let regexes: [RegexBox?]

    /// A pipeline of `steps`; `split` steps with a known pattern and the `Isolated` behaviour become scanners.
    /// Throws ``TokenizerError/invalidRegex(pattern:reason:)`` for a pattern Swift's `Regex` cannot compile.
    public init(steps: [Step], addsPrefixSpace: Bool = false) throws(TokenizerError) {
        var simplified: [Step] = []
        for step in steps {
            if case let .split(pattern, .isolated, false) = step {
                if pattern == PreTokenizer.llama3Pattern { simplified.append(.scanner(.llama3)); continue }
                if pattern == PreTokenizer.gpt2Pattern { simplified.append(.scanner(.gpt2)); continue }
            }
            if case .scanner(.gpt2) = step, case .digits(individual: true)? = simplified.last {
                simplified[simplified.count - 1] = .scanner(.smollm)
                continue
            }
            simplified.append(step)
        }
        var regexes: [RegexBox?] = []
        for step in simplified {
            if case let .split(pattern, _, _) = step {
                regexes.append(try RegexBox(pattern: pattern))
            } else {
                regexes.append(nil)
            }
        }
        self.steps = simplified
        self.addsPrefixSpace = addsPrefixSpace
        self.regexes = regexes
    }

    /// A pipeline of one hand-written scanner.
    public init(_ scanner: PreTokenizer) {
        steps = [.scanner(scanner)]
        addsPrefixSpace = false
        regexes = [nil]
    }

    /// The scanner, when the pipeline is exactly one hand-written scanner (the fast path).
    public var singleScanner: PreTokenizer? {
        if steps.count == 1, case let .scanner(scanner) = steps[0] { return scanner }
        return nil
    }

    /// The words of `text`, as strings (for tests and tools).
    public func words(_ text: String) -> [String] {
        var text = addsPrefixSpace && !text.isEmpty && !text.hasPrefix(" ") ? " " + text : text
        return text.withUTF8 { buffer -> [String] in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return [] }
            var words: [String] = []
            forEachWord(UTF8Scanner(bytes: base, table: .shared), 0 ..< buffer.count) { start, end in
                words.append(String(decoding: buffer[start ..< end], as: UTF8.self))
            }
            return words
        }
    }

    /// Calls `body(start, end)` with the byte range of each piece of `range`, in order.
    func forEachWord(_ text: UTF8Scanner, _ range: Range<Int>, _ body: (Int, Int) -> Void) {
        if let scanner = singleScanner {
            scanner.forEachWord(text, range, body)
            return
        }
        var pieces = [range]
        for (step, regex) in zip(steps, regexes) {
            var next: [Range<Int>] = []
            next.reserveCapacity(pieces.count)
            for piece in pieces {
                switch step {
                case let .scanner(scanner):
                    scanner.forEachWord(text, piece) { next.append($0 ..< $1) }
                case let .split(_, behavior, invert):
                    if let regex {
                        Self.split(text, piece, matches: regex.matches(text.bytes, piece), behavior: behavior, invert: invert, into: &next)
                    }
                case let .digits(individual):
                    Self.split(text, piece, matches: Self.numberRuns(text, piece, individual: individual),
                               behavior: .isolated, invert: false, into: &next)
                }
            }
            pieces = next
        }
        for piece in pieces where !piece.isEmpty { body(piece.lowerBound, piece.upperBound) }
    }

    /// The runs of `\p{N}` scalars in `range` (each scalar alone when `individual`).
    private static func numberRuns(_ text: UTF8Scanner, _ range: Range<Int>, individual: Bool) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var i = range.lowerBound
        while i < range.upperBound {
            let (cls, length) = text.classAt(i)
            if cls == UTF8Scanner.number {
                if !individual, let last = runs.last, last.upperBound == i {
                    runs[runs.count - 1] = last.lowerBound ..< i + length
                } else {
                    runs.append(i ..< i + length)
                }
            }
            i += length
        }
        return runs
    }

    /// Hugging Face's `split` with a behaviour, given the (sorted, disjoint, non-empty) matches in `range`.
    private static func split(
        _ text: UTF8Scanner, _ range: Range<Int>, matches: [Range<Int>], behavior: Behavior, invert: Bool,
        into out: inout [Range<Int>]
    ) {
        // The piece list with each piece marked as a match ("delimiter") or not.
        var marked: [(Range<Int>, Bool)] = []
        var position = range.lowerBound
        for match in matches {
            if position < match.lowerBound { marked.append((position ..< match.lowerBound, invert)) }
            marked.append((match, !invert))
            position = match.upperBound
        }
        if position < range.upperBound { marked.append((position ..< range.upperBound, invert)) }

        // The same folds as Hugging Face's `NormalizedString::split`.
        var pieces: [Range<Int>] = []
        var previousMatch = false
        for (piece, isMatch) in marked {
            switch behavior {
            case .isolated:
                pieces.append(piece)
            case .removed:
                if !isMatch { pieces.append(piece) }
            case .mergedWithPrevious:
                if isMatch, !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound ..< piece.upperBound
                } else {
                    pieces.append(piece)
                }
            case .mergedWithNext:
                break // below, from the right
            case .contiguous:
                if isMatch, previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound ..< piece.upperBound
                } else {
                    pieces.append(piece)
                }
            }
            previousMatch = isMatch
        }
        if behavior == .mergedWithNext {
            // The mirror image of mergedWithPrevious: a match joins the piece after it, unless that is a match.
            var nextMatch = false
            for (piece, isMatch) in marked.reversed() {
                if isMatch, !nextMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = piece.lowerBound ..< last.upperBound
                } else {
                    pieces.append(piece)
                }
                nextMatch = isMatch
            }
            pieces.reverse()
        }
        out.append(contentsOf: pieces)
    }
}

/// A compiled Swift `Regex`, matching with Unicode-scalar semantics.
///
/// `Regex` values are immutable once compiled and matching does not change them, so one compiled
/// expression is shared by every thread that encodes with the tokenizer.
final class RegexBox: @unchecked Sendable {
    let pattern: String
    private let regex: Regex<AnyRegexOutput>

    init(pattern: String) throws(TokenizerError) {
        self.pattern = pattern
        do {
            regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
        } catch {
            throw .invalidRegex(pattern: pattern, reason: "\(error)")
        }
    }

    /// The non-empty matches in `bytes[range]`, as byte ranges of `bytes`.
    func matches(_ bytes: UnsafePointer<UInt8>, _ range: Range<Int>) -> [Range<Int>] {
        let text = String(decoding: UnsafeBufferPointer(start: bytes + range.lowerBound, count: range.count), as: UTF8.self)
        let utf8 = text.utf8
        var out: [Range<Int>] = []
        for match in text.matches(of: regex) where !match.range.isEmpty {
            let start = utf8.distance(from: utf8.startIndex, to: match.range.lowerBound)
            let end = utf8.distance(from: utf8.startIndex, to: match.range.upperBound)
            out.append(range.lowerBound + start ..< range.lowerBound + end)
        }
        return out
    }
}
