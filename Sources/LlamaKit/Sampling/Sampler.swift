import Foundation

/// Chooses tokens from logits according to ``SamplingParameters``; owns the random generator's state.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var generator: SeededGenerator

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        self.generator = SeededGenerator(seed: parameters.seed ?? UInt64.random(in: .min ... .max))
    }

    /// Picks the next token. `history` is every token of the sequence so far (for the penalties).
    public mutating func sample(logits input: [Float], history: [Int32]) -> Int32 {
        var logits = input
        applyPenalties(&logits, history: history)
        let p = parameters
        if p.temperature <= 0 { return Self.argmax(logits) }

        // Candidates sorted by logit, most likely first; top-k limits them before the sort when set.
        var candidates: [(id: Int32, logit: Float)]
        if p.topK > 0 && p.topK < logits.count {
            candidates = Self.topK(logits, p.topK)
        } else {
            candidates = logits.enumerated().map { (Int32($0.offset), $0.element) }
            candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        }
        guard let best = candidates.first, best.logit.isFinite else { return Self.argmax(logits) }

        // Softmax at the given temperature (relative to the best logit for stability).
        var probabilities = candidates.map { Double(exp(($0.logit - best.logit) / p.temperature)) }
        var total = probabilities.reduce(0, +)
        var keep = candidates.count
        if p.topP < 1 {
            var cumulative = 0.0
            for i in 0 ..< keep {
                cumulative += probabilities[i] / total
                if cumulative >= Double(p.topP) { keep = i + 1; break }
            }
        }
        if p.minP > 0 {
            // probabilities[0] is the largest; drop those below minP of it.
            let threshold = Double(p.minP) * probabilities[0]
            while keep > 1 && probabilities[keep - 1] < threshold { keep -= 1 }
        }
        probabilities.removeSubrange(keep...)
        total = probabilities.reduce(0, +)
        var r = generator.nextUnit() * total
        for i in 0 ..< keep {
            r -= probabilities[i]
            if r < 0 { return candidates[i].id }
        }
        return candidates[keep - 1].id
    }

    private func applyPenalties(_ logits: inout [Float], history: [Int32]) {
        let p = parameters
        guard p.repetitionPenalty != 1 || p.presencePenalty != 0 || p.frequencyPenalty != 0, p.penaltyWindow != 0 else { return }
        let window = p.penaltyWindow < 0 ? history[...] : history.suffix(p.penaltyWindow)
        var counts: [Int32: Int] = [:]
        for id in window where id >= 0 && Int(id) < logits.count { counts[id, default: 0] += 1 }
        for (id, count) in counts {
            var value = logits[Int(id)]
            if p.repetitionPenalty != 1 {
                value = value > 0 ? value / p.repetitionPenalty : value * p.repetitionPenalty
            }
            value -= p.presencePenalty + p.frequencyPenalty * Float(count)
            logits[Int(id)] = value
        }
    }

    /// Index of the largest value; ties go to the lowest index (as torch.argmax and numpy do).
    public static func argmax(_ values: [Float]) -> Int32 {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return Int32(best)
    }

    /// The k largest logits, sorted descending (ties by id).
    static func topK(_ logits: [Float], _ k: Int) -> [(id: Int32, logit: Float)] {
        // Keep a small sorted buffer; a vocabulary of 128k with k = 40 costs a single pass.
        var top: [(id: Int32, logit: Float)] = []
        top.reserveCapacity(k + 1)
        for (i, v) in logits.enumerated() {
            if top.count == k, let last = top.last, !(v > last.logit) { continue }
            var lo = 0, hi = top.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if top[mid].logit >= v { lo = mid + 1 } else { hi = mid }
            }
            top.insert((Int32(i), v), at: lo)
            if top.count > k { top.removeLast() }
        }
        return top
    }
}
