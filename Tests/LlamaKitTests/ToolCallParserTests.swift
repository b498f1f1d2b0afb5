import Foundation
import Testing
@testable import LlamaKit

/// `ToolCallParser` on the committed table of model outputs (`Tests/Fixtures/chat/tool_call_cases.json`):
/// every shape Llama 3.x emits, nested JSON, unicode, truncated output and several calls.
@Suite("Tool-call parsing")
struct ToolCallParserTests {
    @Test("every row of the table parses to its expected result")
    func table() throws {
        let root = try ChatReference.load("chat/tool_call_cases.json")
        let cases = try #require(root["cases"]?.arrayValue)
        #expect(cases.count >= 30)
        #expect(cases.filter { $0["expect"]?.stringValue == "calls" }.count >= 25)
        let parser = ToolCallParser()
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let output = try #require(c["output"]?.stringValue)
            let result = parser.parse(output)
            switch c["expect"]?.stringValue {
            case "calls":
                let expected = try (c["calls"]?.arrayValue ?? []).map { try ToolCall(json: $0) }
                guard case let .toolCalls(calls, content) = result else {
                    Issue.record("\(name): expected calls, got \(result)")
                    continue
                }
                #expect(calls == expected, "\(name)")
                #expect(content == c["content"]?.stringValue, "\(name)")
            case "text":
                #expect(result == .text(output), "\(name)")
            default:
                guard case let .malformed(text, reason) = result else {
                    Issue.record("\(name): expected malformed, got \(result)")
                    continue
                }
                #expect(text == output, "\(name)")
                let fragment = c["reason_contains"]?.stringValue ?? ""
                #expect(reason.contains(fragment), "\(name): \(reason)")
            }
        }
    }

    @Test("arguments keep the order the model wrote them in")
    func argumentOrder() throws {
        let result = ToolCallParser().parse(#"{"name": "f", "parameters": {"zeta": 1, "alpha": {"y": 2, "b": 3}, "mid": [1]}}"#)
        let call = try #require(result.toolCalls.first)
        #expect(call.arguments.objectValue?.keys == ["zeta", "alpha", "mid"])
        #expect(call.arguments["alpha"]?.objectValue?.keys == ["y", "b"])
        #expect(call.arguments.pythonJSON() == #"{"zeta": 1, "alpha": {"y": 2, "b": 3}, "mid": [1]}"#)
    }

    @Test("a parsed call renders back through the Llama 3.1 template as the model wrote it")
    func roundTrip() throws {
        let output = #"{"name": "get_current_weather", "parameters": {"location": "Paris", "unit": "celsius"}}"#
        let call = try #require(ToolCallParser().parse(output).toolCalls.first)
        let prompt = try Llama3ChatTemplate().render(ChatTemplateRequest(
            messages: [.user("Weather?"), .assistant(toolCalls: [call])], tools: [ChatTool(name: "get_current_weather", description: "d")],
            addGenerationPrompt: false))
        #expect(prompt.hasSuffix("<|start_header_id|>assistant<|end_header_id|>\n\n" + output + "<|eot_id|>"))
        let builtin = try #require(ToolCallParser().parse(#"<|python_tag|>brave_search.call(query="Mars")"#).toolCalls.first)
        let builtinPrompt = try Llama3ChatTemplate().render(ChatTemplateRequest(
            messages: [.user("News?"), .assistant(toolCalls: [builtin])], addGenerationPrompt: false,
            variables: ["builtin_tools": ["brave_search"]]))
        #expect(builtinPrompt.hasSuffix(#"<|python_tag|>brave_search.call(query="Mars")<|eom_id|>"#))
    }
}
