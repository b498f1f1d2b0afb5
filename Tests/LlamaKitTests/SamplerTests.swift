import Foundation
import LlamaKit
import Testing

@Suite("Sampling")
struct SamplerTests {
    let logits: [Float] = [1.0, 3.0, 2.5, -1.0, 3.0, 0.0]

    @Test func greedyIsArgmaxWithTiesToTheLowestID() {
        var sampler = Sampler(.greedy)
        #expect(sampler.sample(logits: logits, history: []) == 1)
        #expect(Sampler.argmax([0, 0, 0]) == 0)
    }

    @Test func sameSeedSameTokens() {
        let parameters = SamplingParameters(temperature: 1.5, topK: 0, topP: 1, minP: 0, seed: 42)
        var a = Sampler(parameters), b = Sampler(parameters)
        let first = (0 ..< 200).map { _ in a.sample(logits: logits, history: []) }
        let second = (0 ..< 200).map { _ in b.sample(logits: logits, history: []) }
        #expect(first == second)
        var c = Sampler(SamplingParameters(temperature: 1.5, topK: 0, topP: 1, minP: 0, seed: 43))
        #expect((0 ..< 200).map { _ in c.sample(logits: logits, history: []) } != first)
        #expect(Set(first).count > 3, "a hot temperature should visit several tokens")
    }

    @Test func samplesFollowTheSoftmax() {
        // p(1) = e^ln3 / (1 + e^ln3) = 0.75.
        var sampler = Sampler(SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 1))
        let n = 20000
        let ones = (0 ..< n).filter { _ in sampler.sample(logits: [0, Float(log(3.0))], history: []) == 1 }.count
        let fraction = Double(ones) / Double(n)
        #expect(abs(fraction - 0.75) < 0.015, "fraction \(fraction)")  // > 4.5 standard deviations
    }

    @Test func topKAndTopPAndMinPRestrictTheCandidates() {
        var k1 = Sampler(SamplingParameters(temperature: 5, topK: 1, topP: 1, minP: 0, seed: 3))
        #expect((0 ..< 100).allSatisfy { _ in k1.sample(logits: logits, history: []) == 1 })
        var k3 = Sampler(SamplingParameters(temperature: 5, topK: 3, topP: 1, minP: 0, seed: 3))
        #expect(Set((0 ..< 500).map { _ in k3.sample(logits: logits, history: []) }) == [1, 4, 2])
        var p = Sampler(SamplingParameters(temperature: 1, topK: 0, topP: 0.05, minP: 0, seed: 3))
        #expect((0 ..< 100).allSatisfy { _ in p.sample(logits: logits, history: []) == 1 })
        var m = Sampler(SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0.9, seed: 3))
        #expect(Set((0 ..< 300).map { _ in m.sample(logits: logits, history: []) }) == [1, 4])
    }

    @Test func penaltiesPushRepeatedTokensDown() {
        var repetition = Sampler(SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1.5))
        #expect(repetition.sample(logits: logits, history: [1, 4]) == 2)  // 3/1.5 = 2 < 2.5
        var presence = Sampler(SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 0, presencePenalty: 1))
        #expect(presence.sample(logits: logits, history: [1, 1, 1, 4]) == 2)
        var frequency = Sampler(SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 0, frequencyPenalty: 0.2))
        #expect(frequency.sample(logits: logits, history: [1, 1, 1]) == 4)  // 3 - 0.6 < 3
        var window = Sampler(SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1.5, penaltyWindow: 1))
        #expect(window.sample(logits: logits, history: [1, 0]) == 1)  // token 1 is outside the window
        // Negative logits are multiplied, so they fall too.
        var negative = Sampler(SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 2))
        #expect(negative.sample(logits: [-1, -1.5], history: [0]) == 1)
    }

    @Test func nonFiniteLogitsDoNotCrash() {
        var sampler = Sampler(SamplingParameters(temperature: 1, seed: 9))
        _ = sampler.sample(logits: [-.infinity, -.infinity], history: [])
        _ = sampler.sample(logits: [.nan, 1], history: [])
    }
}
