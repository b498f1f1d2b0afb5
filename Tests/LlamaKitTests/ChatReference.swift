import Foundation
@testable import LlamaKit

/// The golden files written by `Tests/Fixtures/make_chat_reference.py`, read with LlamaKit's own
/// order-keeping JSON parser (tool definitions must keep their key order).
enum ChatReference {
    /// The instant `strftime_now` read when the goldens were made (naive local time in the script; here UTC).
    static let fixedNow: Date = {
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (2025, 3, 14, 9, 26, 53)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        return calendar.date(from: c) ?? Date()
    }()

    static let utc = TimeZone(identifier: "UTC") ?? .current

    static var renderOptions: JinjaRenderOptions {
        JinjaRenderOptions(now: { ChatReference.fixedNow }, timeZone: utc)
    }

    static func load(_ relativePath: String) throws -> JSONValue {
        let text = String(decoding: try Data(contentsOf: TestPaths.fixture(relativePath)), as: UTF8.self)
        return try JSONValue(parsing: text)
    }

    struct Case {
        let id: String
        let template: String
        let messages: [JSONValue]
        let tools: [JSONValue]?
        let addGenerationPrompt: Bool
        let variables: JSONObject
        let text: String?
        let error: String?
        let ids: [Int32]?
        let idsLlama3: [Int32]?
    }

    struct Reference {
        let cases: [Case]
        /// Template source and special tokens by template name.
        let templates: [String: (source: String, specialTokens: JSONObject)]
    }

    static let reference: Result<Reference, Error> = Result {
        let root = try load("chat/chat_reference.json")
        var templates: [String: (String, JSONObject)] = [:]
        for (name, info) in root["header"]?["templates"]?.objectValue ?? JSONObject() {
            let file = info["file"]?.stringValue ?? ""
            let source = String(decoding: try Data(contentsOf: TestPaths.fixture("chat/" + file)), as: UTF8.self)
            templates[name] = (source, info["special_tokens"]?.objectValue ?? JSONObject())
        }
        let cases = (root["cases"]?.arrayValue ?? []).map { c in
            Case(id: c["id"]?.stringValue ?? "?", template: c["template"]?.stringValue ?? "?",
                 messages: c["messages"]?.arrayValue ?? [], tools: c["tools"]?.arrayValue,
                 addGenerationPrompt: c["add_generation_prompt"] == .bool(true),
                 variables: c["template_kwargs"]?.objectValue ?? JSONObject(),
                 text: c["text"]?.stringValue, error: c["error"]?.stringValue,
                 ids: c["ids"]?.arrayValue?.compactMap { $0.intValue }, idsLlama3: c["ids_llama3"]?.arrayValue?.compactMap { $0.intValue })
        }
        return Reference(cases: cases, templates: templates)
    }

    static func get() throws -> Reference { try reference.get() }
}

extension JSONValue {
    var intValue: Int32? {
        if case let .int(i) = self { return Int32(exactly: i) }
        return nil
    }
}
