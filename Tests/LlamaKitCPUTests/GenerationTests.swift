import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// Greedy generation, chat, streaming and KV-cache reuse on SmolLM2, against transformers' greedy output
/// (Tests/Fixtures/smollm2/greedy.json).
@Suite("Generation with SmolLM2")
struct GenerationTests {
    struct GreedyCase {
        let name: String
        let kind: String
        let promptText: String
        let promptIDs: [Int32]
        let ids48: [Int32]
        let textUntilEOS: String
        let messages: [ChatMessage]
    }

    static func greedyCases() throws -> [GreedyCase] {
        let root = try #require(try TestSupport.json("smollm2/greedy.json") as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        return try cases.map { c in
            let messages = (c["messages"] as? [[String: String]] ?? []).map { ChatMessage(role: $0["role"] ?? "", content: $0["content"] ?? "") }
            return GreedyCase(name: try #require(c["name"] as? String), kind: try #require(c["kind"] as? String),
                              promptText: try #require(c["prompt_text"] as? String),
                              promptIDs: try #require(c["prompt_ids"] as? [Int]).map(Int32.init),
                              ids48: try #require(c["ids_48"] as? [Int]).map(Int32.init),
                              textUntilEOS: try #require(c["text_until_eos"] as? String), messages: messages)
        }
    }

    @Test("48 greedy tokens identical to transformers, raw and ChatML prompts")
    func greedyContinuations() throws {
        let model = try TestSupport.model()
        let cases = try Self.greedyCases()
        #expect(cases.contains { $0.kind == "raw" } && cases.contains { $0.kind == "chat" })
        for c in cases {
            // Our tokenizer and chat template must produce the reference prompt.
            if c.kind == "chat" {
                let rendered = try #require(model.chatTemplate).render(c.messages, addGenerationPrompt: true)
                #expect(rendered == c.promptText, "\(c.name): chat template output differs")
            }
            let ids = model.tokenizer.encode(c.promptText, addBOS: false, parseSpecial: c.kind == "chat")
            #expect(ids == c.promptIDs, "\(c.name): prompt tokens differ")

            // 48 tokens, through end-of-turn tokens, one decode step at a time.
            let state = try model.network.makeState(contextLength: c.promptIDs.count + 48)
            var logits = try model.network.forward(c.promptIDs, state: state)
            var generated: [Int32] = []
            while generated.count < 48 {
                let token = Sampler.argmax(logits)
                generated.append(token)
                if generated.count < 48 { logits = try model.network.forward([token], state: state) }
            }
            #expect(generated == c.ids48, "\(c.name): greedy continuation differs")
        }
    }

    @Test("chat answers the reference and stops at the end of the turn")
    func chatAnswer() async throws {
        let model = try TestSupport.model()
        let reference = try #require(try Self.greedyCases().first { $0.name == "chat_france" })
        let chat = try ChatSession(model: model, contextLength: 512)
        let result = try await chat.respond(to: "What is the capital of France?", options: GenerationOptions(maxTokens: 64, sampling: .greedy)).generation
        #expect(result.text == reference.textUntilEOS)
        #expect(result.text == "The capital of France is Paris.")
        #expect(result.stopReason == .endOfTurn(token: model.tokenizer.tokenID(for: "<|im_end|>") ?? -1))
    }

    @Test("streamed pieces concatenate to the result; stop strings end generation")
    func streamingAndStopStrings() async throws {
        let model = try TestSupport.model()
        let reference = try #require(try Self.greedyCases().first { $0.name == "raw_fact" })
        let session = try Session(model: model, contextLength: 256)
        var pieces: [String] = []
        var final: GenerationResult?
        for try await event in session.stream(prompt: reference.promptIDs, options: GenerationOptions(maxTokens: 20, sampling: .greedy)) {
            switch event {
            case let .text(piece): pieces.append(piece)
            case let .finished(result): final = result
            }
        }
        let result = try #require(final)
        #expect(pieces.joined() == result.text)
        #expect(result.tokens == Array(reference.ids48.prefix(20)))
        #expect(result.stopReason == .maxTokens)

        let stopped = try session.generate(prompt: reference.promptIDs,
                                           options: GenerationOptions(maxTokens: 48, sampling: .greedy, stopStrings: [" solar"]))
        let full = try model.tokenizer.decode(reference.ids48)
        let stopAt = try #require(full.range(of: " solar"))
        let expected = String(full[..<stopAt.lowerBound])
        #expect(stopped.text == expected)
        #expect(stopped.stopReason == .stopString(" solar"))
        // The second call reused the whole prompt from the cache except its last token.
        #expect(stopped.stats.evaluatedPromptTokens == 1)
    }

    @Test("a callback returning false cancels")
    func cancellation() throws {
        let model = try TestSupport.model()
        let session = try Session(model: model, contextLength: 128)
        var calls = 0
        let result = try session.generate(prompt: session.encode("Once upon a time"), options: GenerationOptions(maxTokens: 40, sampling: .greedy)) { _ in
            calls += 1
            return calls < 3
        }
        #expect(result.stopReason == .cancelled)
        #expect(result.tokens.count <= 4)
    }

    @Test("each turn evaluates only its new tokens (prefix cache, to the block) and matches a from-scratch evaluation",
          arguments: ["native ChatML", "Jinja engine"])
    func multiTurnReuse(renderer: String) async throws {
        let model = try TestSupport.model()
        let chat: ChatSession
        if renderer == "native ChatML" {
            chat = try ChatSession(model: model, contextLength: 1024)
        } else {
            // The same model through the Jinja engine, with a tool result as turn 3. SmolLM2's template does not
            // render tool definitions, so offering tools is refused rather than silently dropped.
            let gguf = try GGUFFile(path: TestSupport.modelPath)
            let template = try chatTemplate(for: gguf, engine: .jinja)
            #expect(template is JinjaChatTemplate)
            #expect(throws: ChatError.toolsNotSupported) {
                try ChatSession(model: model, template: template, contextLength: 1024,
                                tools: [ChatTool(name: "get_capital", description: "The capital of a country")])
            }
            chat = try ChatSession(model: model, template: template, contextLength: 1024)
        }
        let question = [ChatMessage.user("What is the capital of France?")]
        var previous = try chat.promptTokens(adding: question)
        let first = try await chat.reply(to: question, options: GenerationOptions(maxTokens: 32, sampling: .greedy))
        #expect(first.generation.stats.evaluatedPromptTokens == first.generation.stats.promptTokens)
        previous += Self.evaluated(first.generation)

        // Turn 2 (a user message) and turn 3 (a tool result): each evaluates only what it adds, give or take
        // the last partial cache block (only full blocks are shared).
        let blockSize = chat.engine.configuration.blockSize
        let turns: [[ChatMessage]] = [[.user("And of Germany?")], [.tool("{\"capital\": \"Berlin\"}", name: "get_capital")]]
        for added in turns {
            let prompt = try chat.promptTokens(adding: added)
            let shared = zip(previous, prompt).prefix { $0 == $1 }.count
            let reply = try await chat.reply(to: added, options: GenerationOptions(maxTokens: 24, sampling: .greedy))
            let stats = reply.generation.stats
            #expect(stats.promptTokens == prompt.count)
            let reusedTokens = stats.promptTokens - stats.evaluatedPromptTokens
            #expect(reusedTokens == min(shared, prompt.count - 1) / blockSize * blockSize, "\(renderer): \(added[0].role) turn")
            previous = prompt + Self.evaluated(reply.generation)
            #expect(stats.evaluatedPromptTokens < prompt.count / 2, "\(renderer): the turn re-evaluated most of the conversation")
            #expect(reply.end == .endOfTurn || reply.generation.stopReason == .maxTokens)

            // The logits after the reused prefix equal those of a fresh evaluation of the whole prompt.
            let reused = try Session(model: model, contextLength: 1024)
            _ = try reused.evaluate(Array(prompt[..<shared]))
            let incremental = try reused.evaluate(Array(prompt[shared...]))
            let fresh = try Session(model: model, contextLength: 1024).evaluate(prompt)
            let diff = zip(incremental, fresh).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff < 1e-4, "max abs diff \(diff)")
            #expect(Sampler.argmax(incremental) == Sampler.argmax(fresh))
        }
        #expect(chat.messages.map(\.role) == ["user", "assistant", "user", "assistant", "tool", "assistant"])
    }

    /// The reply tokens whose keys and values reached the cache: all of them when an end-of-turn token (never
    /// evaluated) followed them, else all but the last sampled one.
    static func evaluated(_ result: GenerationResult) -> [Int32] {
        if case .endOfTurn = result.stopReason { return result.tokens }
        return Array(result.tokens.dropLast())
    }

    @Test("token-by-token decoding equals one-shot evaluation")
    func incrementalEqualsOneShot() throws {
        let model = try TestSupport.model()
        let ids = model.tokenizer.encode("The quick brown fox jumps over the lazy dog because it wanted to see", addBOS: false, parseSpecial: false)
        let oneShot = try model.network.forward(ids, state: model.network.makeState(contextLength: 64), logits: .allPositions)
        let state = try model.network.makeState(contextLength: 64)
        let vocab = model.configuration.vocabularySize
        var worst: Float = 0
        for (i, id) in ids.enumerated() {
            let step = try model.network.forward([id], state: state)
            let row = Array(oneShot[i * vocab ..< (i + 1) * vocab])
            worst = max(worst, zip(step, row).map { abs($0 - $1) }.max() ?? .infinity)
            #expect(Sampler.argmax(step) == Sampler.argmax(row), "argmax at position \(i)")
        }
        // Decode (paired block kernels) and batched evaluation sum in different orders; each is within
        // ~7e-5 of the float64 reference (ModelParityTests), so they may differ from each other by twice that.
        #expect(worst < 2.5e-4, "max abs diff \(worst)")
    }

    @Test("sessions sharing one model generate concurrently and independently")
    func concurrentSessions() async throws {
        let model = try TestSupport.model()
        let cases = try Self.greedyCases().filter { $0.kind == "raw" }
        let results = try await withThrowingTaskGroup(of: (String, [Int32]).self) { group in
            for c in cases {
                group.addTask {
                    let session = try Session(model: model, contextLength: 128)
                    let result = try session.generate(prompt: c.promptIDs, options: GenerationOptions(maxTokens: 12, sampling: .greedy))
                    return (c.name, result.tokens)
                }
            }
            var all: [String: [Int32]] = [:]
            for try await (name, tokens) in group { all[name] = tokens }
            return all
        }
        for c in cases { #expect(results[c.name] == Array(c.ids48.prefix(12)), "\(c.name)") }
    }
}
