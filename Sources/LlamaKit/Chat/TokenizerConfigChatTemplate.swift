import Foundation

/// The chat templates and special tokens of a Hugging Face model folder: `tokenizer_config.json`
/// (`chat_template`, `bos_token`, `eos_token`, …) and, where present, `chat_template.jinja`, which
/// newer transformers versions write instead of the config's `chat_template`.
public struct TokenizerConfigChatTemplates: Sendable, Equatable {
    /// Templates by name; a single template is named `"default"`.
    public var templates: [String: String]
    /// `bos_token`, `eos_token`, `unk_token`, `pad_token` as texts, as transformers passes them.
    public var specialTokens: JSONObject

    /// Templates and special tokens given directly.
    public init(templates: [String: String], specialTokens: JSONObject) {
        self.templates = templates
        self.specialTokens = specialTokens
    }

    /// Reads the parsed contents of a `tokenizer_config.json`.
    public init(config: JSONValue) throws(ChatTemplateError) {
        guard let object = config.objectValue else { throw .invalidMessage("tokenizer_config.json is not a JSON object") }
        var templates: [String: String] = [:]
        switch object["chat_template"] {
        case let .string(source)?:
            templates["default"] = source
        case let .array(entries)?:
            // transformers saves several templates as [{"name": …, "template": …}, …].
            for entry in entries {
                guard let name = entry["name"]?.stringValue, let source = entry["template"]?.stringValue else {
                    throw .wrongTemplateType
                }
                templates[name] = source
            }
        case nil, .null?:
            break
        default:
            throw .wrongTemplateType
        }
        var specialTokens = JSONObject()
        for name in ["bos_token", "eos_token", "unk_token", "pad_token"] {
            // A token is either its text or an AddedToken object {"content": …, …}.
            if let text = object[name]?.stringValue ?? object[name]?["content"]?.stringValue {
                specialTokens[name] = .string(text)
            }
        }
        self.init(templates: templates, specialTokens: specialTokens)
    }

    /// Reads `folder/tokenizer_config.json` and, if present, `folder/chat_template.jinja` (which takes
    /// the place of the config's default template).
    public static func load(folder: String) throws -> TokenizerConfigChatTemplates {
        let url = URL(fileURLWithPath: folder)
        let configURL = url.appendingPathComponent("tokenizer_config.json")
        var result = TokenizerConfigChatTemplates(templates: [:], specialTokens: JSONObject())
        if FileManager.default.fileExists(atPath: configURL.path) {
            let text = String(decoding: try Data(contentsOf: configURL), as: UTF8.self)
            result = try TokenizerConfigChatTemplates(config: try JSONValue(parsing: text))
        }
        let jinjaURL = url.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinjaURL.path) {
            result.templates["default"] = String(decoding: try Data(contentsOf: jinjaURL), as: UTF8.self)
        }
        return result
    }

    /// The template transformers would use: `tool_use` when tools are given and the model has one,
    /// else `default`, else the only one.
    public func source(withTools: Bool) -> String? {
        if withTools, let toolUse = templates["tool_use"] { return toolUse }
        if let source = templates["default"] { return source }
        return templates.count == 1 ? templates.values.first : nil
    }
}
