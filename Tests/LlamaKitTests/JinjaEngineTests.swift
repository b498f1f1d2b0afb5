import Foundation
import Testing
@testable import LlamaKit

/// The Jinja engine on its own: template snippets covering expressions, filters, tests, statements and
/// whitespace control against jinja2's output (`Tests/Fixtures/chat/jinja_cases.json`), then errors and
/// limits.
@Suite("Jinja engine")
struct JinjaEngineTests {
    /// Python's exception names and the kind of ``JinjaError`` each corresponds to.
    static func matches(_ python: String, _ kind: JinjaError.Kind) -> Bool {
        switch (python, kind) {
        case ("TemplateSyntaxError", .syntax), ("TemplateSyntaxError", .unclosedBlock), ("SyntaxError", .syntax): return true
        case ("TemplateAssertionError", .unknownFilter), ("TemplateAssertionError", .unknownTest): return true
        case ("UndefinedError", .undefined): return true
        case ("SecurityError", .security): return true
        case ("TemplateError", .raised): return true
        case ("TypeError", .type), ("ValueError", .type), ("ZeroDivisionError", .type), ("TemplateRuntimeError", .type): return true
        default: return false
        }
    }

    @Test("snippets render as jinja2 renders them, and fail where it fails")
    func snippets() throws {
        let root = try ChatReference.load("chat/jinja_cases.json")
        let context = try #require(root["header"]?["context"]?.objectValue)
        let cases = try #require(root["cases"]?.arrayValue)
        #expect(cases.count >= 100)
        var passed = 0
        for c in cases {
            let source = try #require(c["template"]?.stringValue)
            let result = Result { () throws(JinjaError) -> String in
                try JinjaTemplate(source).render(context, options: ChatReference.renderOptions)
            }
            if let expected = c["output"]?.stringValue {
                switch result {
                case let .success(text):
                    #expect(text == expected, "\(source.debugDescription)")
                    if text == expected { passed += 1 }
                case let .failure(error):
                    Issue.record("\(source.debugDescription): \(error)")
                }
            } else {
                let python = c["error"]?.stringValue ?? ""
                switch result {
                case let .success(text):
                    Issue.record("\(source.debugDescription): jinja2 raised \(python) but LlamaKit rendered \(text.debugDescription)")
                case let .failure(error):
                    #expect(Self.matches(python, error.kind), "\(source.debugDescription): \(python) vs \(error)")
                    passed += 1
                }
            }
        }
        #expect(passed == cases.count)
    }

    // MARK: Typed errors

    @Test("undefined variables: printing is empty, misuse is an error with its location")
    func undefinedVariables() throws {
        #expect(try JinjaTemplate("[{{ nope }}]").render([:]) == "[]")
        let error = try #require(throws: JinjaError.self) { try JinjaTemplate("line one\n  {{ nope.attribute }}").render([:]) }
        #expect(error.kind == .undefined("'nope' is undefined"))
        #expect(error.line == 2)
        #expect(throws: JinjaError.self) { try JinjaTemplate("{{ messages[0]['role'] }}").render(["messages": []]) }
    }

    @Test("unknown filters and tests fail at parse time, even in branches that never run")
    func unknownFiltersAndTests() throws {
        let filter = try #require(throws: JinjaError.self) { try JinjaTemplate("{% if false %}\n{{ x | frobnicate }}{% endif %}") }
        #expect(filter.kind == .unknownFilter("frobnicate"))
        #expect(filter.line == 2 && filter.column == 8)
        #expect(throws: JinjaError(.unknownTest("shiny"), line: 1, column: 6)) { try JinjaTemplate("{{ x is shiny }}") }
        let unsupported = try #require(throws: JinjaError.self) { try JinjaTemplate("{{ x | groupby('a') }}") }
        #expect(unsupported.kind == .unsupported("the 'groupby' filter"))
    }

    @Test("unclosed blocks name the block and where it opened")
    func unclosedBlocks() throws {
        for (source, tag, line) in [("{% if x %}\nnever closed", "if", 1), ("a\n\n{% for x in y %}{{ x }}", "for", 3),
                                    ("{% macro m() %}", "macro", 1), ("{% set x %}body", "set", 1), ("{% raw %}{{ x }}", "raw", 1)] {
            let error = try #require(throws: JinjaError.self) { try JinjaTemplate(source) }
            #expect(error.kind == .unclosedBlock(tag), "\(source)")
            #expect(error.line == line, "\(source)")
        }
        #expect(throws: JinjaError.self) { try JinjaTemplate("{{ 'open string }}") }
        #expect(throws: JinjaError.self) { try JinjaTemplate("{{ x ") }
        #expect(throws: JinjaError.self) { try JinjaTemplate("{# comment") }
        let syntax = try #require(throws: JinjaError.self) { try JinjaTemplate("ok\n{{ 1 + }}") }
        guard case .syntax = syntax.kind else { Issue.record("\(syntax)"); return }
        #expect(syntax.line == 2)
    }

    @Test("runaway loops and outputs stop at the limits")
    func loopAndOutputLimits() throws {
        let options = JinjaRenderOptions(maximumOutputBytes: 1 << 16, maximumIterations: 10_000)
        // Nested loops: 1000 × 1000 iterations.
        let nested = try #require(throws: JinjaError.self) {
            try JinjaTemplate("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}").render([:], options: options)
        }
        #expect(nested.kind == .iterationLimit(10_000))
        let range = try #require(throws: JinjaError.self) { try JinjaTemplate("{{ range(10 ** 12) | length }}").render([:], options: options) }
        #expect(range.kind == .iterationLimit(10_000))
        // A string doubled in a loop, and a huge repetition.
        let doubling = try #require(throws: JinjaError.self) {
            try JinjaTemplate("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}").render([:], options: options)
        }
        #expect(doubling.kind == .outputLimit(1 << 16))
        #expect(throws: JinjaError.self) { try JinjaTemplate("{{ 'x' * 10 ** 15 }}").render([:], options: options) }
        // Lists share storage, so doubling a list 60 times is cheap to build but huge to print or serialise.
        let shared = "{% set ns = namespace(l=[1]) %}{% for i in range(60) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}"
        for use in ["{{ ns.l }}", "{{ ns.l | tojson }}", "{{ ns.l | string | length }}"] {
            let error = try #require(throws: JinjaError.self) { try JinjaTemplate(shared + use).render([:], options: options) }
            #expect(error.kind == .outputLimit(1 << 16), "\(use)")
        }
        let output = try #require(throws: JinjaError.self) {
            try JinjaTemplate("{% for i in range(9000) %}0123456789{% endfor %}").render([:], options: options)
        }
        #expect(output.kind == .outputLimit(1 << 16))
    }

    @Test("deep recursion is an error, not a crash")
    func deepRecursion() throws {
        // A macro that calls itself forever.
        let recursive = try #require(throws: JinjaError.self) {
            try JinjaTemplate("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").render([:])
        }
        #expect(recursive.kind == .recursionLimit(JinjaRenderOptions().maximumCallDepth))
        // With the call-depth limit lifted, the stack budget still stops it.
        let unlimited = JinjaRenderOptions(maximumCallDepth: 10_000_000)
        let byStack = try #require(throws: JinjaError.self) {
            try JinjaTemplate("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").render([:], options: unlimited)
        }
        guard case .recursionLimit = byStack.kind else { Issue.record("\(byStack)"); return }
        // Deeply nested expressions and blocks are refused by the parser.
        let parens = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        let expression = try #require(throws: JinjaError.self) { try JinjaTemplate("{{ \(parens) }}") }
        #expect(expression.kind == .recursionLimit(JinjaParser.maximumDepth))
        let blocks = String(repeating: "{% if true %}", count: 3000) + String(repeating: "{% endif %}", count: 3000)
        #expect(throws: JinjaError.self) { try JinjaTemplate(blocks) }
        let unary = String(repeating: "not ", count: 5000) + "x"
        #expect(throws: JinjaError.self) { try JinjaTemplate("{{ \(unary) }}") }
        let lists = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(throws: JinjaError.self) { try JinjaTemplate("{{ \(lists) }}") }
        // Deep JSON input is refused by the parser before it reaches a template.
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: String(repeating: "[", count: 100_000)) }
    }

    @Test("the worst case of both limits together still returns an error")
    func nestedExpressionsInRecursiveMacros() throws {
        // Each call evaluates an expression nested almost as deep as the parser allows, and calls recurse
        // to the call-depth limit: the stack must hold both.
        let depth = JinjaParser.maximumDepth / 2 - 4
        let nested = String(repeating: "(", count: depth) + "f(n + 1)" + String(repeating: ")", count: depth)
        let source = "{% macro f(n) %}{{ \(nested) }}{% endmacro %}{{ f(0) }}"
        let error = try #require(throws: JinjaError.self) { try JinjaTemplate(source).render([:]) }
        #expect(error.kind == .recursionLimit(JinjaRenderOptions().maximumCallDepth))
        // On a thread with a small stack (512 KiB, as secondary threads get on some platforms) too.
        let box = ResultBox()
        let thread = Thread {
            box.error = try? #require(throws: JinjaError.self) { try JinjaTemplate(source).render([:]) }
            box.done.signal()
        }
        thread.stackSize = 512 << 10
        thread.start()
        box.done.wait()
        #expect(box.error?.kind == .recursionLimit(JinjaRenderOptions().maximumCallDepth))
    }

    final class ResultBox: @unchecked Sendable {
        var error: JinjaError?
        let done = DispatchSemaphore(value: 0)
    }

    @Test("mutilated real templates fail with errors, never crash")
    func mutatedTemplates() throws {
        let reference = try ChatReference.get()
        let sources = reference.templates.values.map(\.source).sorted()
        let conversation = try #require(reference.cases.first { $0.id == "shared-qwen2.5-tool_call_flow" })
        var context = JSONObject()
        context["messages"] = .array(conversation.messages)
        context["tools"] = .array(conversation.tools ?? [])
        context["add_generation_prompt"] = .bool(true)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }
        var parsed = 0
        let options = JinjaRenderOptions(maximumOutputBytes: 1 << 20, maximumIterations: 100_000)
        for round in 0 ..< 150 {
            var scalars = Array(sources[round % sources.count].unicodeScalars)
            for _ in 0 ..< 1 + next(4) {
                let at = next(scalars.count)
                switch next(3) {
                case 0: scalars.remove(at: at)
                case 1: scalars.insert(["{", "}", "%", "(", "'", "\"", "-", "|", "[", "\n"][next(10)], at: at)
                default:
                    let length = min(next(40), scalars.count - at)
                    scalars.insert(contentsOf: scalars[at ..< at + length], at: next(scalars.count))
                }
            }
            let source = PythonText.make(scalars)
            if let template = try? JinjaTemplate(source) {
                parsed += 1
                _ = try? template.render(context, options: options)
            }
        }
        #expect(parsed > 0)
    }

    @Test("reasonable nesting still works")
    func moderateNesting() throws {
        let parens = String(repeating: "(", count: 40) + "1" + String(repeating: ")", count: 40)
        #expect(try JinjaTemplate("{{ \(parens) }}").render([:]) == "1")
        let macro = "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(20) }}"
        #expect(try JinjaTemplate(macro).render([:]) == (1 ... 20).reversed().map(String.init).joined())
    }

    @Test("raise_exception, the sandbox and strftime_now")
    func globals() throws {
        let raised = try #require(throws: JinjaError.self) { try JinjaTemplate("\n{{ raise_exception('no') }}").render([:]) }
        #expect(raised.kind == .raised("no") && raised.line == 2)
        let security = try #require(throws: JinjaError.self) { try JinjaTemplate("{% set l = [] %}{{ l.append(1) }}").render([:]) }
        guard case .security = security.kind else { Issue.record("\(security)"); return }
        let options = JinjaRenderOptions(now: { ChatReference.fixedNow }, timeZone: ChatReference.utc)
        #expect(try JinjaTemplate("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%-d %B') }}").render([:], options: options) == "14 Mar 2025|14 March")
    }

    @Test("tojson keeps key order and writes like Python's json.dumps")
    func tojsonOrder() throws {
        let tool: JSONValue = ["zeta": 1, "alpha": ["b": 2.0, "a": [1e-7, 1e16, 123456789012.5, -0.0]], "mid": "é\u{1}\"", "nil": .null, "yes": true]
        let out = try JinjaTemplate("{{ t | tojson }}\n{{ t | tojson(indent=2) }}").render(["t": tool])
        #expect(out == """
        {"zeta": 1, "alpha": {"b": 2.0, "a": [1e-07, 1e+16, 123456789012.5, -0.0]}, "mid": "é\\u0001\\"", "nil": null, "yes": true}
        {
          "zeta": 1,
          "alpha": {
            "b": 2.0,
            "a": [
              1e-07,
              1e+16,
              123456789012.5,
              -0.0
            ]
          },
          "mid": "é\\u0001\\"",
          "nil": null,
          "yes": true
        }
        """)
    }
}
