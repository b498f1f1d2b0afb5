import Foundation
import Testing
@testable import LlamaKit

/// The `llama-template` example end to end: JSON lines in, rendered prompts (and ids) out, compared with
/// the jinja2 golden file.
@Suite("llama-template")
struct TemplateToolTests {
    /// The built tool, next to the test bundle in the build folder.
    static func toolPath() throws -> String {
        let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [buildDirectory, buildDirectory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("llama-template").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        for configuration in ["release", "debug"] {
            let path = TestPaths.packageRoot.appendingPathComponent(".build/\(configuration)/llama-template").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        struct NotBuilt: Error, CustomStringConvertible {
            var description: String { "llama-template is not built; run `swift build --build-tests` (it builds the examples too)" }
        }
        throw NotBuilt()
    }

    /// Runs the tool on the cases of `family`, returning its output lines by id.
    static func run(_ cases: [ChatReference.Case], arguments: [String]) throws -> [String: JSONValue] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("llama-template-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines: [String] = []
        for c in cases {
            var request = JSONObject()
            request["id"] = .string(c.id)
            request["messages"] = .array(c.messages)
            if let tools = c.tools { request["tools"] = .array(tools) }
            request["add_generation_prompt"] = .bool(c.addGenerationPrompt)
            if !c.variables.isEmpty { request["template_kwargs"] = .object(c.variables) }
            lines.append(JSONValue.object(request).pythonJSON())
        }
        let input = directory.appendingPathComponent("in.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: input)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try toolPath())
        process.arguments = arguments + ["--jsonl", input.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var results: [String: JSONValue] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            #expect(line.hasPrefix("{\"id\":"), "output keys start with id")
            let value = try JSONValue(parsing: String(line))
            results[value["id"]?.stringValue ?? ""] = value
        }
        return results
    }

    static func compare(_ cases: [ChatReference.Case], _ results: [String: JSONValue], ids: Bool) {
        for c in cases {
            guard let result = results[c.id] else {
                Issue.record("\(c.id): no output line")
                continue
            }
            if let expected = c.text {
                #expect(result["text"]?.stringValue == expected, "\(c.id): \(result["error"]?.stringValue ?? "")")
                if ids { #expect(result["ids"]?.arrayValue?.compactMap(\.intValue) == c.ids, "\(c.id)") }
            } else {
                #expect(result["error"]?.stringValue != nil && result["text"] == nil, "\(c.id)")
            }
        }
    }

    @Test("a model folder's tokenizer_config.json, native and Jinja engines, Llama 3.1")
    func llama31Folder() throws {
        let reference = try ChatReference.get()
        let template = try #require(reference.templates["llama3.1"])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llama31-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config: JSONValue = ["chat_template": .string(template.source), "bos_token": "<|begin_of_text|>",
                                 "eos_token": ["content": "<|eot_id|>", "special": true]]
        try Data(config.pythonJSON(indent: 2).utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        let cases = reference.cases.filter { $0.template == "llama3.1" }
        for engine in ["native", "jinja"] {
            Self.compare(cases, try Self.run(cases, arguments: ["--tokenizer", folder.path, "--engine", engine]), ids: false)
        }
    }

    @Test("a GGUF: SmolLM2's template with ids, and another family through --template")
    func gguf() throws {
        try TestPaths.requireModel()
        let reference = try ChatReference.get()
        let smol = reference.cases.filter { $0.template == "smollm2" }
        Self.compare(smol, try Self.run(smol, arguments: ["--tokenizer", TestPaths.modelPath]), ids: true)
        let qwen = reference.cases.filter { $0.template == "qwen2.5" }
        let qwenTemplate = TestPaths.fixture("chat/templates/qwen2.5-instruct.jinja").path
        let results = try Self.run(qwen, arguments: ["--tokenizer", TestPaths.modelPath, "--template", qwenTemplate, "--engine", "jinja"])
        for c in qwen {
            // The GGUF's special tokens differ from Qwen's, but Qwen's template uses none of them.
            #expect(results[c.id]?["text"]?.stringValue == c.text, "\(c.id)")
        }
    }
}
