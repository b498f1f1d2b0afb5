/// Which renderer ``chatTemplate(source:specialTokens:engine:)`` may choose.
public enum ChatTemplateEngine: String, Sendable, CaseIterable {
    /// A native formatter when the template is one LlamaKit knows and verifies, else the Jinja engine.
    case automatic
    /// A native formatter only; a template without one throws ``ChatTemplateError/unsupportedTemplate(excerpt:)``.
    case native
    /// The Jinja engine, always.
    case jinja
}

/// The chat template a GGUF file's `tokenizer.chat_template` describes, with its BOS and EOS token
/// texts passed to the template as `bos_token` and `eos_token`.
public func chatTemplate(for gguf: GGUFFile, engine: ChatTemplateEngine = .automatic) throws(ChatTemplateError) -> any ChatTemplate {
    guard let value = gguf.metadata[GGUFTokenizerKey.chatTemplate] else { throw .missingTemplate }
    guard let source = value.string else { throw .wrongTemplateType }
    return try chatTemplate(source: source, specialTokens: specialTokens(in: gguf.metadata), engine: engine)
}

/// The texts of a GGUF vocabulary's special tokens under the names transformers gives templates.
public func specialTokens(in metadata: [String: GGUFValue]) -> JSONObject {
    var out = JSONObject()
    guard let tokens = metadata[GGUFTokenizerKey.tokens]?.strings else { return out }
    for (name, key) in [("bos_token", GGUFTokenizerKey.bos), ("eos_token", GGUFTokenizerKey.eos),
                        ("unk_token", GGUFTokenizerKey.unknown), ("pad_token", "tokenizer.ggml.padding_token_id")] {
        if let id = metadata[key]?.int, id >= 0, id < tokens.count { out[name] = .string(tokens[id]) }
    }
    return out
}

/// The chat template that Jinja `source` (a `tokenizer.chat_template` or `chat_template`) describes.
///
/// - The official Llama 3.1 and 3.2 Instruct templates (recognised by a fingerprint of their exact
///   text) get ``Llama3ChatTemplate``.
/// - A plain ChatML template (it writes `<|im_start|>`, never mentions tools, and renders a set of probe
///   conversations exactly as ``ChatMLTemplate`` does) gets ``ChatMLTemplate``, with the default system
///   prompt written into it, as SmolLM2's has.
/// - Anything else gets ``JinjaChatTemplate``.
///
/// - Parameter specialTokens: Passed to the template by name (`bos_token`, `eos_token`, …).
public func chatTemplate(source: String, specialTokens: JSONObject = JSONObject(),
                         engine: ChatTemplateEngine = .automatic) throws(ChatTemplateError) -> any ChatTemplate {
    if engine != .jinja {
        if let version = KnownChatTemplates.llama3Version(of: source) {
            return Llama3ChatTemplate(version: version, bosToken: specialTokens["bos_token"]?.stringValue ?? "<|begin_of_text|>")
        }
    }
    let jinja: JinjaChatTemplate
    do {
        jinja = try JinjaChatTemplate(source: source, specialTokens: specialTokens)
    } catch {
        if engine == .native { throw .unsupportedTemplate(excerpt: String(source.prefix(120))) }
        throw error
    }
    if engine != .jinja, source.contains("<|im_start|>"), !source.contains("tool") {
        let chatML = ChatMLTemplate(defaultSystemPrompt: ChatMLSystemPromptExtractor.defaultSystemPrompt(in: source))
        if KnownChatTemplates.rendersAlike(chatML, jinja) { return chatML }
    }
    if engine == .native { throw .unsupportedTemplate(excerpt: String(source.prefix(120))) }
    return jinja
}

/// Recognises templates that have native formatters.
enum KnownChatTemplates {
    /// FNV-1a fingerprints of the official templates' text (trailing newlines removed).
    static let llama3Fingerprints: [UInt64: Llama3ChatTemplate.Version] = [
        0xCC03_68E1_FFB6_B958: .llama3_1, // meta-llama/Llama-3.1-8B-Instruct tokenizer_config.json chat_template
        0x368F_4C34_B855_4414: .llama3_2, // meta-llama/Llama-3.2-3B-Instruct tokenizer_config.json chat_template
    ]

    static func llama3Version(of source: String) -> Llama3ChatTemplate.Version? {
        llama3Fingerprints[fingerprint(source)]
    }

    static func fingerprint(_ source: String) -> UInt64 {
        var text = source.replacingOccurrences(of: "\r\n", with: "\n")
        while text.hasSuffix("\n") { text.removeLast() }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Whether two templates agree on conversations that exercise what the native ChatML renderer does:
    /// a default system prompt, an explicit one, several turns, surrounding spaces, an unusual role, an
    /// empty conversation, with and without the generation prompt.
    static func rendersAlike(_ a: any ChatTemplate, _ b: any ChatTemplate) -> Bool {
        let probes: [[ChatMessage]] = [
            [],
            [.user("Hi")],
            [.system(" S "), .user("U\n"), .assistant(" A")],
            [.user("U1"), .assistant("A1"), .user("U2"), ChatMessage(role: "tool", content: "{\"x\": 1}")],
            [.assistant("first"), .system("late system")],
        ]
        for messages in probes {
            for generation in [false, true] {
                let x = try? a.render(messages, addGenerationPrompt: generation)
                let y = try? b.render(messages, addGenerationPrompt: generation)
                guard let x, let y, x == y else { return false }
            }
        }
        return true
    }
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
