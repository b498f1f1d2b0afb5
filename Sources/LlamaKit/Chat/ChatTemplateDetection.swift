/// The chat template a GGUF file's `tokenizer.chat_template` describes.
///
/// Recognises ChatML (any template containing `<|im_start|>`) and carries over a default system prompt
/// written into it as a string literal, as SmolLM2's is. Other formats throw
/// ``ChatTemplateError/unsupportedTemplate(excerpt:)`` until a Jinja engine lands.
public func chatTemplate(for gguf: GGUFFile) throws(ChatTemplateError) -> any ChatTemplate {
    guard let value = gguf.metadata[GGUFTokenizerKey.chatTemplate] else { throw .missingTemplate }
    guard let source = value.string else { throw .wrongTemplateType }
    return try chatTemplate(source: source)
}

/// The chat template that Jinja `source` (a `tokenizer.chat_template` or `chat_template.jinja`) describes.
public func chatTemplate(source: String) throws(ChatTemplateError) -> any ChatTemplate {
    if source.contains("<|im_start|>") {
        return ChatMLTemplate(defaultSystemPrompt: ChatMLSystemPromptExtractor.defaultSystemPrompt(in: source))
    }
    throw .unsupportedTemplate(excerpt: String(source.prefix(120)))
}

/// Finds a default system prompt written as a literal in a ChatML Jinja template, such as SmolLM2's
/// `{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, ...<|im_end|>\n' }}`.
enum ChatMLSystemPromptExtractor {
    static let opening = "<|im_start|>system\n"
    static let closing = "<|im_end|>"

    /// The prompt, if some Jinja string literal in `source` holds a whole system turn.
    static func defaultSystemPrompt(in source: String) -> String? {
        for literal in stringLiterals(in: source) {
            guard let open = literal.firstRange(of: opening),
                  let close = literal[open.upperBound...].firstRange(of: closing) else { continue }
            return String(literal[open.upperBound ..< close.lowerBound])
        }
        return nil
    }

    /// The values of the quoted string literals inside `{{ }}` and `{% %}` tags, escapes resolved.
    static func stringLiterals(in source: String) -> [String] {
        var literals: [String] = []
        let scalars = Array(source.unicodeScalars)
        var i = 0
        var inTag = false
        while i < scalars.count {
            let c = scalars[i]
            if !inTag {
                if c == "{", i + 1 < scalars.count, scalars[i + 1] == "{" || scalars[i + 1] == "%" {
                    inTag = true
                    i += 2
                } else {
                    i += 1
                }
                continue
            }
            if (c == "}" || c == "%"), i + 1 < scalars.count, scalars[i + 1] == "}" {
                inTag = false
                i += 2
                continue
            }
            guard c == "'" || c == "\"" else {
                i += 1
                continue
            }
            // A Python-style string literal: read to the matching unescaped quote.
            var value = String.UnicodeScalarView()
            var j = i + 1
            var closed = false
            while j < scalars.count {
                let d = scalars[j]
                if d == c {
                    closed = true
                    break
                }
                if d == "\\", j + 1 < scalars.count {
                    let e = scalars[j + 1]
                    switch e {
                    case "n": value.append("\n")
                    case "t": value.append("\t")
                    case "r": value.append("\r")
                    default: value.append(e) // \\ \' \" and anything else stand for themselves
                    }
                    j += 2
                    continue
                }
                value.append(d)
                j += 1
            }
            guard closed else { break }
            literals.append(String(value))
            i = j + 1
        }
        return literals
    }
}
