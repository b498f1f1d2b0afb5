import ArgumentParser
import Foundation
import LlamaKit

/// Renders chat templates like transformers' `apply_chat_template`, one JSON request per line.
///
/// Input lines: `{"id": …, "messages": [...], "tools": [...]?, "add_generation_prompt": bool,
/// "template_kwargs": {...}?}`. Output lines: `{"id": …, "text": "…", "ids": [...]}` (ids with special
/// tokens parsed and no BOS added, when a tokenizer can be loaded) or `{"id": …, "error": "…"}`.
@main
struct LlamaTemplate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llama-template",
        abstract: "Render chat templates (transformers' apply_chat_template) from JSON lines.")

    @Option(help: "A GGUF file, a model folder with tokenizer_config.json (and chat_template.jinja), or a tokenizer_config.json.")
    var tokenizer: String

    @Option(help: "JSON-lines input file ('-' for standard input).")
    var jsonl: String = "-"

    @Option(help: "Renderer: auto (the native Llama 3 formatter for the official Llama 3.1/3.2 templates, else Jinja), native, or jinja.")
    var engine: String = "auto"

    @Option(help: "A Jinja template file to use instead of the tokenizer's.")
    var template: String?

    mutating func run() throws {
        let choice: ChatTemplateEngine
        switch engine {
        case "auto", "automatic": choice = .automatic
        case "native": choice = .native
        case "jinja": choice = .jinja
        default: throw ValidationError("--engine must be auto, native or jinja")
        }
        let source: TemplateSource
        do {
            source = try TemplateSource.load(tokenizer, templateOverride: template)
        } catch {
            Self.log("llama-template: \(error)")
            throw ExitCode.failure
        }
        if source.tokenizer == nil {
            Self.log("llama-template: no tokenizer could be loaded from \(tokenizer); writing text without ids.")
        }

        let input: FileHandle
        if jsonl == "-" {
            input = FileHandle.standardInput
        } else {
            guard let handle = FileHandle(forReadingAtPath: jsonl) else {
                Self.log("llama-template: cannot read \(jsonl)")
                throw ExitCode.failure
            }
            input = handle
        }
        let data = input.readDataToEndOfFile()
        var failures = 0
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
            let output = Self.process(String(line), source: source, engine: choice)
            if output["error"] != nil { failures += 1 }
            FileHandle.standardOutput.write(Data((JSONValue.object(output).pythonJSON(separators: JSONSeparators(item: ",", key: ":")) + "\n").utf8))
        }
        if failures > 0 { Self.log("llama-template: \(failures) request(s) failed") }
    }

    /// One request line to one result object.
    static func process(_ line: String, source: TemplateSource, engine: ChatTemplateEngine) -> JSONObject {
        var out = JSONObject()
        let request: JSONValue
        do {
            request = try JSONValue(parsing: line)
        } catch {
            out["id"] = .null
            out["error"] = .string("invalid JSON: \(error)")
            return out
        }
        out["id"] = request["id"] ?? .null
        do {
            let text = try render(request, source: source, engine: engine)
            out["text"] = .string(text)
            if let tokenizer = source.tokenizer {
                out["ids"] = .array(tokenizer.encode(text, addBOS: false, parseSpecial: true).map { .int(Int($0)) })
            }
        } catch {
            out["text"] = nil
            out["error"] = .string("\(error)")
        }
        return out
    }

    static func render(_ request: JSONValue, source: TemplateSource, engine: ChatTemplateEngine) throws -> String {
        guard let messages = request["messages"]?.arrayValue else { throw ChatTemplateError.invalidMessage("'messages' must be an array") }
        let tools: [JSONValue]? = request["tools"].flatMap { $0 == .null ? nil : $0.arrayValue }
        let addGenerationPrompt = request["add_generation_prompt"].map { $0 == .bool(true) } ?? false
        let variables = request["template_kwargs"]?.objectValue ?? JSONObject()
        guard let text = source.templates.source(withTools: tools != nil) else { throw ChatTemplateError.missingTemplate }
        var template = try chatTemplate(source: text, specialTokens: source.templates.specialTokens, engine: engine)
        if engine == .automatic, template is ChatMLTemplate {
            // The ChatML renderer matches the template on ChatMessage values, but raw JSON may lack fields
            // (a message without content) that the Jinja template would reject; render those exactly.
            template = try JinjaChatTemplate(source: text, specialTokens: source.templates.specialTokens)
        }
        if let jinja = template as? JinjaChatTemplate {
            // The Jinja engine sees the JSON exactly as given, extra keys and all.
            return try jinja.render(messages: messages, tools: tools, addGenerationPrompt: addGenerationPrompt, variables: variables)
        }
        var chatMessages: [ChatMessage] = []
        for message in messages { chatMessages.append(try ChatMessage(json: message)) }
        var chatTools: [ChatTool]?
        if let tools {
            chatTools = []
            for tool in tools { chatTools?.append(try ChatTool(json: tool)) }
        }
        return try template.render(ChatTemplateRequest(messages: chatMessages, tools: chatTools,
                                                       addGenerationPrompt: addGenerationPrompt, variables: variables))
    }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// Where the templates, special tokens and (if possible) the tokenizer come from.
struct TemplateSource {
    var templates: TokenizerConfigChatTemplates
    var tokenizer: (any Tokenizer)?

    static func load(_ path: String, templateOverride: String?) throws -> TemplateSource {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(path) does not exist")
        }
        var source: TemplateSource
        if isDirectory.boolValue {
            // A model folder: its templates from tokenizer_config.json, its tokenizer from tokenizer.json
            // (or tokenizer.model) when present, for the ids.
            source = TemplateSource(templates: try TokenizerConfigChatTemplates.load(folder: path),
                                    tokenizer: try? loadTokenizer(path: path))
        } else if path.hasSuffix(".json") {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            source = TemplateSource(templates: try TokenizerConfigChatTemplates(config: try JSONValue(parsing: text)), tokenizer: nil)
        } else {
            let gguf = try GGUFFile(path: path)
            var templates: [String: String] = [:]
            if let text = gguf.metadata["tokenizer.chat_template"]?.string { templates["default"] = text }
            source = TemplateSource(templates: TokenizerConfigChatTemplates(templates: templates, specialTokens: specialTokens(in: gguf.metadata)),
                                    tokenizer: try? loadTokenizer(from: gguf))
        }
        if let templateOverride {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: templateOverride)), as: UTF8.self)
            source.templates.templates = ["default": text]
        }
        return source
    }
}
