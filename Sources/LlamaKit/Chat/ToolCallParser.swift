/// What a model's reply turned out to be.
public enum ToolCallParseResult: Sendable, Equatable {
    /// An ordinary answer.
    case text(String)
    /// One or more tool calls, with whatever text came before them (often empty).
    case toolCalls([ToolCall], content: String)
    /// The reply looked like a tool call but could not be read. Use `text` as the answer, or show
    /// `reason` and ask the model again.
    case malformed(text: String, reason: String)

    /// The calls, if this is ``toolCalls(_:content:)``.
    public var toolCalls: [ToolCall] {
        if case let .toolCalls(calls, _) = self { return calls }
        return []
    }
}

/// Turns a Llama 3.x reply into structured tool calls. It reads every shape those models emit:
///
/// - bare JSON: `{"name": "get_weather", "parameters": {"city": "Paris"}}` (also `"arguments"`, and the
///   OpenAI shape `{"type": "function", "function": {…}}`), several separated by `;` or newlines, or a
///   JSON array of them, optionally inside a ```` ```json ```` fence;
/// - `<|python_tag|>` followed by such JSON, by built-in calls such as
///   `brave_search.call(query="…")` (one per line), or by code, which becomes a `code_interpreter` call
///   with argument `code`;
/// - `<function=get_weather>{"city": "Paris"}</function>`, one or more;
/// - Llama 3.2's pythonic list `[get_weather(city="Paris"), get_time(tz="CET")]`.
///
/// Arguments given as a string of JSON are decoded. A trailing `<|eom_id|>` or `<|eot_id|>` is ignored.
/// Anything else is ``ToolCallParseResult/text(_:)``; something that starts like a call but does not
/// parse (truncated JSON, a call without a name) is ``ToolCallParseResult/malformed(text:reason:)``.
public struct ToolCallParser: Sendable {
    /// The control token Llama 3.1 writes before a built-in tool call or code.
    public static let pythonTag = "<|python_tag|>"

    /// A parser; it keeps no state, so one can serve any number of replies.
    public init() {}

    /// Reads `output`, the text of one reply (with or without its end token).
    public func parse(_ output: String) -> ToolCallParseResult {
        var text = output
        for end in ["<|eom_id|>", "<|eot_id|>"] where text.hasSuffix(end) { text.removeLast(end.count) }

        if let tag = text.range(of: Self.pythonTag) {
            let content = PythonText.strip(String(text[..<tag.lowerBound]))
            let body = PythonText.strip(String(text[tag.upperBound...]).replacingOccurrences(of: Self.pythonTag, with: "\n"))
            return parsePythonTagBody(body, content: content, original: output)
        }
        if let start = text.range(of: "<function=") {
            let content = PythonText.strip(String(text[..<start.lowerBound]))
            return parseFunctionTags(String(text[start.lowerBound...]), content: content, original: output)
        }
        let trimmed = Self.unfenced(PythonText.strip(text))
        if trimmed.hasPrefix("{") {
            return parseJSONCalls(trimmed, content: "", original: output)
        }
        if trimmed.hasPrefix("[") {
            var probe = PythonCallParser(String(trimmed.dropFirst()))
            probe.skipWhitespace()
            if probe.dottedName() != nil, probe.peek() == "(" || probe.peek().map(PythonText.isWhitespace) == true {
                return parsePythonicList(trimmed, original: output)
            }
            if trimmed.dropFirst().drop(while: { $0.isWhitespace }).hasPrefix("{") {
                return parseJSONCalls(trimmed, content: "", original: output)
            }
        }
        return .text(output)
    }

    /// The text inside a ```` ```json … ``` ```` (or plain ```` ``` ````) fence, if the whole reply is one.
    private static func unfenced(_ text: String) -> String {
        guard text.hasPrefix("```"), text.hasSuffix("```"), text.count >= 6 else { return text }
        var inner = text.dropFirst(3).dropLast(3)
        if inner.hasPrefix("json") { inner = inner.dropFirst(4) }
        return PythonText.strip(String(inner))
    }

    private func parsePythonTagBody(_ body: String, content: String, original: String) -> ToolCallParseResult {
        guard !body.isEmpty else { return .malformed(text: original, reason: "nothing follows <|python_tag|>") }
        if body.hasPrefix("{") || body.hasPrefix("[") {
            return parseJSONCalls(body, content: content, original: original)
        }
        // `name.call(` starts a built-in call; anything else is code for the code interpreter.
        var probe = PythonCallParser(body)
        if let name = probe.dottedName(), name.hasSuffix(".call"), probe.peek() == "(" {
            var calls: [ToolCall] = []
            var parser = PythonCallParser(body)
            while true {
                parser.skipWhitespace()
                if parser.atEnd { break }
                do {
                    let (fullName, arguments) = try parser.call()
                    guard fullName.hasSuffix(".call") else {
                        return .malformed(text: original, reason: "'\(fullName)' is not a built-in tool call (name.call(...))")
                    }
                    calls.append(ToolCall(name: String(fullName.dropLast(5)), arguments: .object(arguments)))
                } catch {
                    return .malformed(text: original, reason: error.reason)
                }
                parser.skipWhitespace()
                _ = parser.skip(";")
            }
            return .toolCalls(calls, content: content)
        }
        return .toolCalls([ToolCall(name: "code_interpreter", arguments: ["code": .string(body)])], content: content)
    }

    private func parseFunctionTags(_ text: String, content: String, original: String) -> ToolCallParseResult {
        var calls: [ToolCall] = []
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0.isWhitespace }
            if rest.isEmpty { break }
            guard rest.hasPrefix("<function=") else {
                return .malformed(text: original, reason: "unexpected text after a <function=…> call")
            }
            rest = rest.dropFirst("<function=".count)
            guard let close = rest.firstIndex(of: ">") else { return .malformed(text: original, reason: "unterminated <function= tag") }
            let name = PythonText.strip(String(rest[..<close]))
            guard !name.isEmpty else { return .malformed(text: original, reason: "<function=…> has no name") }
            rest = rest[rest.index(after: close)...]
            let bodyEnd = rest.range(of: "</function>")
            let body = PythonText.strip(String(bodyEnd.map { rest[..<$0.lowerBound] } ?? rest))
            var arguments: JSONValue = .object(JSONObject())
            if !body.isEmpty {
                do {
                    arguments = try JSONValue(parsing: body)
                } catch {
                    return .malformed(text: original, reason: "the arguments of \(name) are not valid JSON: \(error)")
                }
            }
            calls.append(ToolCall(name: name, arguments: Self.decodedArguments(arguments)))
            guard let bodyEnd else { break } // generation may stop before the closing tag
            rest = rest[bodyEnd.upperBound...]
        }
        return .toolCalls(calls, content: content)
    }

    /// One or more JSON calls: objects separated by `;`, `,` or whitespace, or arrays of objects.
    private func parseJSONCalls(_ text: String, content: String, original: String) -> ToolCallParseResult {
        let bytes = Array(text.utf8)
        var position = 0
        var calls: [ToolCall] = []
        while true {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ";"), UInt8(ascii: ",")].contains(bytes[position]) {
                position += 1
            }
            if position >= bytes.count { break }
            let value: JSONValue
            do {
                (value, position) = try JSONParser.parsePrefix(bytes, from: position)
            } catch {
                return .malformed(text: original, reason: "invalid JSON: \(error)")
            }
            let objects = value.arrayValue ?? [value]
            for object in objects {
                switch Self.call(from: object) {
                case let .success(call): calls.append(call)
                case let .failure(failure): return .malformed(text: original, reason: failure.reason)
                }
            }
        }
        guard !calls.isEmpty else { return .malformed(text: original, reason: "no tool call in the JSON") }
        return .toolCalls(calls, content: content)
    }

    private func parsePythonicList(_ text: String, original: String) -> ToolCallParseResult {
        var parser = PythonCallParser(text)
        _ = parser.skip("[")
        var calls: [ToolCall] = []
        while true {
            parser.skipWhitespace()
            if parser.skip("]") { break }
            do {
                let (name, arguments) = try parser.call()
                calls.append(ToolCall(name: name, arguments: .object(arguments)))
            } catch {
                return .malformed(text: original, reason: error.reason)
            }
            parser.skipWhitespace()
            if parser.skip(",") { continue }
            guard parser.skip("]") else { return .malformed(text: original, reason: "unterminated list of calls") }
            break
        }
        parser.skipWhitespace()
        guard parser.atEnd else { return .malformed(text: original, reason: "unexpected text after the list of calls") }
        guard !calls.isEmpty else { return .malformed(text: original, reason: "empty list of calls") }
        return .toolCalls(calls, content: "")
    }

    private struct Failure: Error {
        var reason: String
    }

    /// A call from `{"name", "parameters"|"arguments"}` or `{"type": "function", "function": {…}}`.
    private static func call(from value: JSONValue) -> Result<ToolCall, Failure> {
        guard let object = value.objectValue else { return .failure(Failure(reason: "a tool call must be a JSON object")) }
        let function = object["function"]?.objectValue ?? object
        guard let nameValue = function["name"] else {
            return .failure(Failure(reason: "the JSON object has no \"name\""))
        }
        guard let name = nameValue.stringValue, !name.isEmpty else {
            return .failure(Failure(reason: "the tool name must be a non-empty string"))
        }
        let arguments = function["parameters"] ?? function["arguments"] ?? .object(JSONObject())
        return .success(ToolCall(id: object["id"]?.stringValue, name: name, arguments: decodedArguments(arguments)))
    }

    /// Arguments written as a string of JSON (`"parameters": "{\"a\": 1}"`) become the object.
    private static func decodedArguments(_ arguments: JSONValue) -> JSONValue {
        if let text = arguments.stringValue, let decoded = try? JSONValue(parsing: text), decoded.objectValue != nil {
            return decoded
        }
        return arguments
    }
}
