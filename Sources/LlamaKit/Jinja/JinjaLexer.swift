/// One token of a template.
struct JinjaToken: Equatable {
    enum Kind: Equatable {
        /// Literal text between tags, whitespace control already applied.
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// An operator or punctuation: `+ - * / // % ** ~ ( ) [ ] { } == != < <= > >= = . : | ,`.
        case op(String)
        case end
    }

    var kind: Kind
    var line: Int
    var column: Int
}

/// Splits a template into tokens the way Jinja's lexer does with transformers' settings
/// (`trim_blocks=True`, `lstrip_blocks=True`, `keep_trailing_newline=False`).
///
/// Whitespace rules, in Jinja's words:
/// - `{%-`, `{{-`, `{#-` strip all whitespace before the tag; `-%}`, `-}}`, `-#}` strip all after it.
/// - `trim_blocks`: the first newline after a block or comment tag is removed (not after `}}`).
/// - `lstrip_blocks`: spaces and tabs from the start of a line up to a block or comment tag are removed
///   (`{%+` keeps them).
/// - One trailing newline at the end of the template is dropped, and `\r\n`/`\r` become `\n`.
struct JinjaLexer {
    private let source: [Unicode.Scalar]
    private var position = 0
    private var line = 1
    private var column = 1
    private var tokens: [JinjaToken] = []
    let trimBlocks: Bool
    let lstripBlocks: Bool

    init(_ text: String, trimBlocks: Bool = true, lstripBlocks: Bool = true) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.unicodeScalars.count)
        var previousWasCR = false
        for s in text.unicodeScalars {
            if s == "\r" {
                scalars.append("\n")
                previousWasCR = true
                continue
            }
            if s == "\n", previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            scalars.append(s)
        }
        if scalars.last == "\n" { scalars.removeLast() }
        self.source = scalars
        self.trimBlocks = trimBlocks
        self.lstripBlocks = lstripBlocks
    }

    static func tokenize(_ text: String, trimBlocks: Bool = true, lstripBlocks: Bool = true) throws(JinjaError) -> [JinjaToken] {
        var lexer = JinjaLexer(text, trimBlocks: trimBlocks, lstripBlocks: lstripBlocks)
        try lexer.run()
        return lexer.tokens
    }

    private enum TagKind { case variable, block, comment }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let i = position + offset
        return i < source.count ? source[i] : nil
    }

    private mutating func advance(_ count: Int = 1) {
        for _ in 0 ..< count where position < source.count {
            if source[position] == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            position += 1
        }
    }

    private func syntax(_ message: String) -> JinjaError {
        JinjaError(.syntax(message), line: line, column: column)
    }

    /// The next `{{`, `{%` or `{#` at or after `from`.
    private func nextTag(from: Int) -> (Int, TagKind)? {
        var i = from
        while i + 1 < source.count {
            if source[i] == "{" {
                switch source[i + 1] {
                case "{": return (i, .variable)
                case "%": return (i, .block)
                case "#": return (i, .comment)
                default: break
                }
            }
            i += 1
        }
        return nil
    }

    private mutating func run() throws(JinjaError) {
        var lineStarting = true
        var stripNext = false
        while position < source.count {
            let found = nextTag(from: position)
            let textEnd = found?.0 ?? source.count
            var text = Array(source[position ..< textEnd])
            let textLine = line
            let textColumn = column
            if stripNext {
                let drop = text.prefix { PythonText.isWhitespace($0) }.count
                text.removeFirst(drop)
                stripNext = false
            }
            guard let (tagStart, kind) = found else {
                emitText(text, line: textLine, column: textColumn)
                advance(textEnd - position)
                break
            }
            let modifier = tagStart + 2 < source.count ? source[tagStart + 2] : nil
            if modifier == "-" {
                while let last = text.last, PythonText.isWhitespace(last) { text.removeLast() }
            } else if modifier != "+", lstripBlocks, kind != .variable {
                let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                if lineStart > 0 || lineStarting, text[lineStart...].allSatisfy({ PythonText.isWhitespace($0) }) {
                    text.removeSubrange(lineStart...)
                }
            }
            emitText(text, line: textLine, column: textColumn)
            advance(tagStart - position)
            let tagLine = line
            let tagColumn = column
            advance(2)
            if modifier == "-" || modifier == "+" { advance() }

            switch kind {
            case .comment:
                // Find `#}`; a `-` right before it strips what follows.
                var closed = false
                while position + 1 < source.count {
                    if source[position] == "#", source[position + 1] == "}" {
                        let minus = position > 0 && source[position - 1] == "-"
                        advance(2)
                        closed = true
                        (stripNext, lineStarting) = afterTag(minus: minus, trim: trimBlocks)
                        break
                    }
                    advance()
                }
                if !closed { throw JinjaError(.syntax("unclosed comment"), line: tagLine, column: tagColumn) }
            case .variable:
                tokens.append(JinjaToken(kind: .variableBegin, line: tagLine, column: tagColumn))
                let minus = try lexInside(end: "}")
                tokens.append(JinjaToken(kind: .variableEnd, line: line, column: column))
                (stripNext, lineStarting) = afterTag(minus: minus, trim: false)
            case .block:
                let tokenCount = tokens.count
                tokens.append(JinjaToken(kind: .blockBegin, line: tagLine, column: tagColumn))
                let (minus, plus) = try lexBlockInside()
                tokens.append(JinjaToken(kind: .blockEnd, line: line, column: column))
                if tokens.count == tokenCount + 3, case .name("raw") = tokens[tokenCount + 1].kind {
                    tokens.removeLast(3)
                    _ = afterTag(minus: minus, trim: trimBlocks && !plus)
                    (stripNext, lineStarting) = try lexRaw(line: tagLine, column: tagColumn)
                } else {
                    (stripNext, lineStarting) = afterTag(minus: minus, trim: trimBlocks && !plus)
                }
            }
        }
        tokens.append(JinjaToken(kind: .end, line: line, column: column))
    }

    /// After a tag: `-` strips the following whitespace (returned as `stripNext`); otherwise trim_blocks
    /// eats one newline. Returns whether the consumed text ended with a newline, as Jinja's `line_starting`.
    private mutating func afterTag(minus: Bool, trim: Bool) -> (Bool, Bool) {
        if minus {
            var endedWithNewline = false
            while let c = peek(), PythonText.isWhitespace(c) {
                endedWithNewline = c == "\n"
                advance()
            }
            return (false, endedWithNewline)
        }
        if trim, peek() == "\n" {
            advance()
            return (false, true)
        }
        return (false, false)
    }

    private mutating func emitText(_ text: [Unicode.Scalar], line: Int, column: Int) {
        guard !text.isEmpty else { return }
        tokens.append(JinjaToken(kind: .text(PythonText.make(text)), line: line, column: column))
    }

    /// `{% raw %}…{% endraw %}`: everything up to the end tag is text.
    private mutating func lexRaw(line tagLine: Int, column tagColumn: Int) throws(JinjaError) -> (Bool, Bool) {
        let bodyStart = position
        let bodyLine = line
        let bodyColumn = column
        var i = position
        while i + 1 < source.count {
            if source[i] == "{", source[i + 1] == "%" {
                var j = i + 2
                let minus = j < source.count && source[j] == "-"
                if j < source.count, source[j] == "-" || source[j] == "+" { j += 1 }
                while j < source.count, PythonText.isWhitespace(source[j]) { j += 1 }
                let word = Array("endraw".unicodeScalars)
                if j + word.count <= source.count, Array(source[j ..< j + word.count]) == word {
                    var k = j + word.count
                    while k < source.count, PythonText.isWhitespace(source[k]) { k += 1 }
                    var endMinus = false
                    if k < source.count, source[k] == "-" {
                        endMinus = true
                        k += 1
                    }
                    if k + 1 < source.count, source[k] == "%", source[k + 1] == "}" {
                        var body = Array(source[bodyStart ..< i])
                        if minus { while let last = body.last, PythonText.isWhitespace(last) { body.removeLast() } }
                        emitText(body, line: bodyLine, column: bodyColumn)
                        advance(k + 2 - position)
                        return afterTag(minus: endMinus, trim: trimBlocks)
                    }
                }
            }
            i += 1
        }
        throw JinjaError(.unclosedBlock("raw"), line: tagLine, column: tagColumn)
    }

    /// Tokens of a block tag up to `%}`; returns whether it ended with `-%}` or `+%}`.
    private mutating func lexBlockInside() throws(JinjaError) -> (Bool, Bool) {
        var depth = 0
        while true {
            skipSpaces()
            guard let c = peek() else { throw syntax("unclosed block tag: missing '%}'") }
            if depth == 0 {
                if c == "%", peek(1) == "}" {
                    advance(2)
                    return (false, false)
                }
                if c == "-" || c == "+", peek(1) == "%", peek(2) == "}" {
                    advance(3)
                    return (c == "-", c == "+")
                }
            }
            try lexToken(depth: &depth)
        }
    }

    /// Tokens of a `{{ … }}` tag; returns whether it ended with `-}}`.
    private mutating func lexInside(end: Unicode.Scalar) throws(JinjaError) -> Bool {
        var depth = 0
        while true {
            skipSpaces()
            guard let c = peek() else { throw syntax("unclosed expression: missing '}}'") }
            if depth == 0 {
                if c == "}", peek(1) == "}" {
                    advance(2)
                    return false
                }
                if c == "-", peek(1) == "}", peek(2) == "}" {
                    advance(3)
                    return true
                }
            }
            try lexToken(depth: &depth)
        }
    }

    private mutating func skipSpaces() {
        while let c = peek(), PythonText.isWhitespace(c) { advance() }
    }

    private static let operators: [String] = ["//", "**", "==", "!=", "<=", ">=",
                                               "+", "-", "*", "/", "%", "~", "(", ")", "[", "]", "{", "}",
                                               "<", ">", "=", ".", ":", "|", ",", ";"]

    private mutating func lexToken(depth: inout Int) throws(JinjaError) {
        guard let c = peek() else { return }
        let startLine = line
        let startColumn = column
        func add(_ kind: JinjaToken.Kind) { tokens.append(JinjaToken(kind: kind, line: startLine, column: startColumn)) }

        if c == "'" || c == "\"" {
            add(.string(try lexString(quote: c)))
            return
        }
        if c.properties.numericType == .decimal, c.isASCII {
            // A number right after `.` (as in `foo.0.1`) is an attribute index, never a float.
            let afterDot: Bool = {
                if case .op(".") = tokens.last?.kind { return true }
                return false
            }()
            add(lexNumber(allowFloat: !afterDot))
            return
        }
        if c == "_" || c.properties.isAlphabetic {
            var name = String.UnicodeScalarView()
            while let d = peek(), d == "_" || d.properties.isAlphabetic || (d.properties.numericType == .decimal) {
                name.append(d)
                advance()
            }
            add(.name(String(name)))
            return
        }
        for op in Self.operators {
            let scalars = Array(op.unicodeScalars)
            if position + scalars.count <= source.count, Array(source[position ..< position + scalars.count]) == scalars {
                switch op {
                case "(", "[", "{": depth += 1
                case ")", "]", "}": depth -= 1
                default: break
                }
                advance(scalars.count)
                add(.op(op))
                return
            }
        }
        throw syntax("unexpected character '\(c)'")
    }

    private mutating func lexNumber(allowFloat: Bool) -> JinjaToken.Kind {
        func digits() -> String {
            var s = ""
            while let d = peek(), d.isASCII, d.properties.numericType == .decimal || (d == "_" && (peek(1)?.properties.numericType == .decimal)) {
                if d != "_" { s.unicodeScalars.append(d) }
                advance()
            }
            return s
        }
        var text = digits()
        var isFloat = false
        if allowFloat, peek() == ".", let next = peek(1), next.isASCII, next.properties.numericType == .decimal {
            advance()
            text += "." + digits()
            isFloat = true
        }
        if allowFloat, peek() == "e" || peek() == "E" {
            var offset = 1
            if peek(1) == "+" || peek(1) == "-" { offset = 2 }
            if let d = peek(offset), d.isASCII, d.properties.numericType == .decimal {
                var exponent = "e"
                if offset == 2, let sign = peek(1) { exponent.unicodeScalars.append(sign) }
                advance(offset)
                text += exponent + digits()
                isFloat = true
            }
        }
        if !isFloat, let value = Int(text) { return .integer(value) }
        return .float(Double(text) ?? .infinity)
    }

    /// A Python string literal with Python's escapes (`\n`, `\t`, `\xhh`, `\uhhhh`, `\'`, …); an unknown
    /// escape keeps its backslash, as Python does.
    private mutating func lexString(quote: Unicode.Scalar) throws(JinjaError) -> String {
        let startLine = line
        let startColumn = column
        advance()
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else {
                throw JinjaError(.syntax("unterminated string literal"), line: startLine, column: startColumn)
            }
            advance()
            if c == quote { return String(out) }
            guard c == "\\" else {
                out.append(c)
                continue
            }
            guard let e = peek() else { continue }
            advance()
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "\n": break // a backslash-newline continues the line
            case "0" ... "7":
                var value = e.value - 48
                var count = 1
                while count < 3, let d = peek(), ("0" ... "7").contains(d) {
                    value = value * 8 + d.value - 48
                    advance()
                    count += 1
                }
                out.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            case "x", "u", "U":
                let width = e == "x" ? 2 : e == "u" ? 4 : 8
                var value: UInt32 = 0
                for _ in 0 ..< width {
                    guard let d = peek(), let digit = d.properties.numericType == nil ? hexLetter(d) : UInt32(String(d), radix: 16) else {
                        throw JinjaError(.syntax("truncated \\\(e) escape"), line: line, column: column)
                    }
                    value = value * 16 + digit
                    advance()
                }
                out.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            default:
                out.append("\\")
                out.append(e)
            }
        }
    }

    private func hexLetter(_ d: Unicode.Scalar) -> UInt32? {
        switch d {
        case "a" ... "f": return d.value - 87
        case "A" ... "F": return d.value - 55
        default: return nil
        }
    }
}
