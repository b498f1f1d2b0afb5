import Foundation
import LlamaKit
import LlamaKitCPU
import Synchronization
import Testing

/// The continuous-batching engine on SmolLM2: batching does not change greedy output, cancellation frees a
/// sequence within a step, concurrent streams interleave, and the cooperative pool stays free.
@Suite("Inference engine", .serialized)
struct EngineTests {
    static let greedy = GenerationOptions(maxTokens: 24, sampling: .greedy)

    /// Every greedy reference prompt (transformers' 48 tokens, Tests/Fixtures/smollm2/greedy.json), alone and
    /// beside 15 others: the same tokens.
    @Test func greedyOutputIsTheSameAloneAndInABatchOfSixteen() async throws {
        let model = try TestSupport.model()
        let cases = try GenerationTests.greedyCases()
        let alone = try InferenceEngine(model: model, configuration: EngineConfiguration(maxSequences: 1, contextLength: 256))
        var solo: [[Int32]] = []
        for c in cases {
            let result = try await alone.complete(prompt: c.promptIDs, options: Self.greedy)
            Self.expectPrefix(of: c, result)
            solo.append(result.tokens)
        }

        // Sixteen requests at once: the reference prompts, repeated, each submitted as its own stream.
        let engine = try InferenceEngine(model: model, configuration: EngineConfiguration(maxSequences: 16, maxBatchTokens: 128, contextLength: 256))
        let batched = try await withThrowingTaskGroup(of: (Int, GenerationResult).self) { group in
            for index in 0 ..< 16 {
                let c = cases[index % cases.count]
                group.addTask { (index, try await engine.complete(prompt: c.promptIDs, options: Self.greedy)) }
            }
            var results: [Int: GenerationResult] = [:]
            for try await (index, result) in group { results[index] = result }
            return results
        }
        for index in 0 ..< 16 {
            let c = cases[index % cases.count]
            let result = try #require(batched[index])
            #expect(result.tokens == solo[index % cases.count], "\(c.name) (request \(index)): batched tokens differ from solo")
            Self.expectPrefix(of: c, result)
        }
        let statistics = try await Self.waitUntil(engine) { $0.runningSequences == 0 && $0.usedBlocks == 0 }
        let generated = batched.values.map(\.tokens.count).reduce(0, +)
        #expect(statistics.steps * 4 < generated, "\(statistics.steps) steps for \(generated) tokens: the requests were not batched")
        // Repeated prompts shared their full blocks.
        #expect(statistics.prefixCacheHitTokens > 0)
    }

    /// A cache too small for all requests at once: sequences are preempted and evaluated again later, and
    /// their greedy output is still transformers'.
    @Test func preemptionDoesNotChangeOutput() async throws {
        let model = try TestSupport.model()
        let cases = try GenerationTests.greedyCases()
        let options = GenerationOptions(maxTokens: 40, sampling: .greedy)
        let longest = cases.map(\.promptIDs.count).max() ?? 0
        // Room for about two sequences of prompt + 40 tokens, shared by six.
        let engine = try InferenceEngine(model: model, configuration: EngineConfiguration(
            maxSequences: 6, maxBatchTokens: 128, contextLength: 256, cacheTokens: 2 * (longest + 48)))
        let results = try await withThrowingTaskGroup(of: (Int, GenerationResult).self) { group in
            for (index, c) in cases.enumerated() {
                group.addTask { (index, try await engine.complete(prompt: c.promptIDs, options: options)) }
            }
            var all: [Int: GenerationResult] = [:]
            for try await (index, result) in group { all[index] = result }
            return all
        }
        for (index, c) in cases.enumerated() { Self.expectPrefix(of: c, try #require(results[index])) }
        let statistics = try await Self.waitUntil(engine) { $0.runningSequences == 0 && $0.usedBlocks == 0 }
        #expect(statistics.preemptions > 0, "no sequence was preempted")
    }

    static func expectPrefix(of c: GenerationTests.GreedyCase, _ result: GenerationResult) {
        #expect(Array(c.ids48.prefix(result.tokens.count)) == result.tokens, "\(c.name): differs from transformers")
        if case let .endOfTurn(token) = result.stopReason, result.tokens.count < c.ids48.count {
            #expect(c.ids48[result.tokens.count] == token, "\(c.name): stopped where transformers did not")
        }
    }

    /// A 2,000-token prompt evaluated 64 rows a step: cancelling the consumer during the prompt, leaving the
    /// loop during decode, or dropping the stream each free the sequence within a step or two.
    @Test func cancellationFreesTheSequenceWithinAStep() async throws {
        let model = try TestSupport.model()
        let engine = try InferenceEngine(model: model, configuration: EngineConfiguration(maxSequences: 4, maxBatchTokens: 64, contextLength: 2304))
        let words = (0 ..< 2000).map { _ in Int32.random(in: 1000 ..< 20000) }
        let long = GenerationOptions(maxTokens: 200, sampling: .greedy)

        // Task cancellation during the prompt phase.
        let consumer = Task {
            for try await _ in engine.generate(prompt: words, options: long) {}
        }
        let inPrompt = try await Self.waitUntil(engine) { $0.runningSequences == 1 && $0.usedBlocks >= 8 }
        #expect(inPrompt.usedBlocks < 2000 / 16, "cancelled before the prompt finished")
        consumer.cancel()
        try await Self.expectFreed(engine, since: inPrompt)

        // Leaving the loop during decode.
        var pieces = 0
        for try await event in engine.generate(prompt: Array(words.prefix(100)), options: long) {
            if case .text = event { pieces += 1 }
            if pieces == 3 { break }
        }
        try await Self.expectFreed(engine, since: engine.statistics)

        // Dropping the stream without reading it.
        do {
            let stream = engine.generate(prompt: Array(words.prefix(300)), options: long)
            _ = stream
        }
        try await Self.expectFreed(engine, since: engine.statistics)
    }

    static func waitUntil(_ engine: InferenceEngine, timeout: Double = 60,
                          _ condition: (EngineStatistics) -> Bool) async throws -> EngineStatistics {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let statistics = engine.statistics
            if condition(statistics) { return statistics }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("timed out waiting for the engine: \(engine.statistics)")
        return engine.statistics
    }

    /// No sequence runs and no block is held within a few steps of `before` (a generous deadline for CI).
    static func expectFreed(_ engine: InferenceEngine, since before: EngineStatistics) async throws {
        let after = try await waitUntil(engine, timeout: 30) { $0.runningSequences == 0 && $0.usedBlocks == 0 && $0.waitingRequests == 0 }
        #expect(after.steps - before.steps <= 2, "freed after \(after.steps - before.steps) steps")
    }

    /// Eight chat sessions on one engine: every stream's first piece arrives before any stream finishes, and a
    /// timer on the cooperative pool keeps ticking meanwhile.
    @Test(arguments: [2, 8, 16])
    func concurrentChatSessionsInterleave(sessions: Int) async throws {
        let model = try TestSupport.model()
        let engine = try InferenceEngine(model: model, configuration: EngineConfiguration(maxSequences: 16, maxBatchTokens: 512, contextLength: 512))
        let clock = ContinuousClock()
        let start = clock.now
        let ticker = Task {
            var worstGap = Duration.zero
            var last = clock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(5))
                let now = clock.now
                worstGap = max(worstGap, now - last)
                last = now
            }
            return worstGap
        }
        let questions = ["Write a short poem about the sea.", "Explain why the sky is blue.",
                         "List some fruits and their colours.", "Describe a day in the life of a cat."]
        let events = try await withThrowingTaskGroup(of: (first: Duration, finished: Duration).self) { group in
            for index in 0 ..< sessions {
                group.addTask {
                    let chat = try ChatSession(engine: engine)
                    var first: Duration?
                    for try await event in chat.stream(questions[index % questions.count],
                                                       options: GenerationOptions(maxTokens: 40, sampling: .greedy)) {
                        if case .text = event, first == nil { first = clock.now - start }
                    }
                    return (first ?? .seconds(1e6), clock.now - start)
                }
            }
            var all: [(first: Duration, finished: Duration)] = []
            for try await event in group { all.append(event) }
            return all
        }
        ticker.cancel()
        let worstGap = await ticker.value
        let lastFirst = events.map(\.first).max()!, firstFinish = events.map(\.finished).min()!
        #expect(lastFirst < firstFinish, "a stream finished (\(firstFinish)) before another started (\(lastFirst))")
        // Compute threads share the cores with the timer, so the OS may delay it a little; a pool blocked by
        // generation would stall it for whole replies (seconds).
        #expect(worstGap < .seconds(1), "the cooperative pool stalled for \(worstGap)")
    }

    @Test func requestsBeyondTheLimitsAreRefused() async throws {
        let model = try TestSupport.model()
        let engine = try InferenceEngine(model: model, configuration: EngineConfiguration(maxSequences: 1, maxQueued: 1, contextLength: 64))
        await #expect(throws: ModelError.self) { try await engine.complete(prompt: Array(repeating: 42, count: 64)) }
        await #expect(throws: ModelError.self) { try await engine.complete(prompt: []) }
        await #expect(throws: ModelError.self) { try await engine.complete(prompt: [Int32(model.configuration.vocabularySize)]) }

        let first = engine.generate(prompt: [1, 2, 3], options: GenerationOptions(maxTokens: 40))
        let second = engine.generate(prompt: [1, 2, 3], options: GenerationOptions(maxTokens: 40))
        await #expect(throws: EngineError.queueFull(limit: 2)) { try await engine.complete(prompt: [1, 2, 3]) }
        for try await _ in first {}
        for try await _ in second {}

        #expect(throws: EngineError.self) { try InferenceEngine(model: model, configuration: EngineConfiguration(maxSequences: 0)) }
        #expect(throws: EngineError.self) {
            try InferenceEngine(model: model, configuration: EngineConfiguration(maxBatchTokens: 1 << 40))
        }
        #expect(throws: EngineError.self) {
            try InferenceEngine(model: model, configuration: EngineConfiguration(maxSequences: 4096, contextLength: 1 << 24))
        }
        #expect(throws: EngineError.self) {
            try InferenceEngine(model: model, configuration: EngineConfiguration(blockSize: -16))
        }
        // A cache the system cannot map (2^31 positions: 1.6 TB per layer for SmolLM2) is an error, not a trap.
        if (try? String(contentsOfFile: "/proc/sys/vm/overcommit_memory", encoding: .utf8))?.hasPrefix("1") != true {
            #expect(throws: BackendError.self) {
                try InferenceEngine(model: model, configuration: EngineConfiguration(cacheTokens: Int(Int32.max)))
            }
        }
        #expect(throws: EngineError.self) {
            try InferenceEngine(model: model, configuration: EngineConfiguration(maxSequences: 8, maxBatchTokens: 4))
        }
    }
}

/// The async chat API: history, partial replies, tools.
@Suite("Chat sessions on the engine", .serialized)
struct ChatSessionEngineTests {
    @Test func historyIsEditableAndPartialRepliesAreRecordedOnlyWhenAsked() async throws {
        let model = try TestSupport.model()
        let chat = try ChatSession(model: model, contextLength: 512, systemPrompt: "You are brief.")
        var pieces = 0
        for try await event in chat.stream("Tell me a long story about a dragon.", options: GenerationOptions(maxTokens: 100)) {
            if case .text = event { pieces += 1 }
            if pieces == 3 { break }
        }
        #expect(chat.messages.map(\.role) == ["system"], "an interrupted turn is not recorded by default")

        pieces = 0
        var streamed = ""
        for try await event in chat.stream("Tell me a long story about a dragon.", options: GenerationOptions(maxTokens: 100),
                                           recordPartial: true) {
            if case let .text(piece) = event { pieces += 1; streamed += piece }
            if pieces == 3 { break }
        }
        // The recording happens as the turn winds down; give it a moment.
        let deadline = Date().addingTimeInterval(10)
        while chat.messages.count < 3 && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(chat.messages.map(\.role) == ["system", "user", "assistant"])
        #expect(chat.messages.last?.content.hasPrefix(streamed) == true)

        // Restore a saved history and continue from it.
        let saved: [ChatMessage] = [.system("You are brief."), .user("What is the capital of France?"), .assistant("Paris.")]
        chat.messages = saved
        let reply = try await chat.respond(to: "And of Germany?", options: GenerationOptions(maxTokens: 16, sampling: .greedy))
        #expect(chat.messages.count == 5)
        #expect(Array(chat.messages.prefix(3)) == saved)
        #expect(chat.messages.last?.content == reply.generation.text)

        // Trimming keeps the system message and drops whole turns from the front.
        let removed = try chat.trimHistory(maxPromptTokens: 40)
        #expect(removed >= 2)
        #expect(chat.messages.first?.role == "system")
        #expect(try chat.promptTokens(adding: []).count <= 40)
    }

    @Test func toolsForATemplateThatCannotRenderThemAreAnError() throws {
        let model = try TestSupport.model()
        let engine = try InferenceEngine(model: model, configuration: EngineConfiguration(maxSequences: 1, contextLength: 128))
        let tool = ChatTool(name: "get_capital", description: "The capital of a country")
        #expect(throws: ChatError.toolsNotSupported) { try ChatSession(engine: engine, template: ChatMLTemplate(), tools: [tool]) }
        let chat = try ChatSession(engine: engine, template: ChatMLTemplate())
        #expect(throws: ChatError.toolsNotSupported) { try chat.setTools([tool]) }
    }

    @Test func concurrentTurnsOnOneSessionRunInOrder() async throws {
        let model = try TestSupport.model()
        let chat = try ChatSession(model: model, contextLength: 512)
        async let a = chat.respond(to: "Say hello.", options: GenerationOptions(maxTokens: 8, sampling: .greedy))
        async let b = chat.respond(to: "Say goodbye.", options: GenerationOptions(maxTokens: 8, sampling: .greedy))
        _ = try await (a, b)
        #expect(chat.messages.map(\.role) == ["user", "assistant", "user", "assistant"])
    }
}
