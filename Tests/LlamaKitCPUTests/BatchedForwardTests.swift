import Foundation
import LlamaKit
import LlamaKitCPU
import Testing

/// One forward pass over rows of several sequences gives each sequence the logits it gets evaluated alone.
@Suite("Batched forward pass")
struct BatchedForwardTests {
    /// Three prompts of different lengths, their caches in scattered blocks of 16 rows of one cache: a pass
    /// with a chunk of each (prefill), then passes with one decode row each and a new prompt beside them.
    /// Every sequence's logits must equal its own contiguous evaluation (``LlamaModel/forward(_:state:logits:)``)
    /// to 1e-4.
    @Test func batchedLogitsEqualSolo() throws {
        let model = try TestSupport.model()
        let network = model.network
        let texts = ["The quick brown fox jumps over the lazy dog because",
                     "In 1969 the first people walked on the Moon, and",
                     "Water boils at one hundred degrees"]
        let prompts = texts.map { model.tokenizer.encode($0, addBOS: false, parseSpecial: false) }
        let continuations: [[Int32]] = [[284, 253, 3767], [1063, 314, 29], [418, 2114, 30]]
        let vocabulary = network.configuration.vocabularySize

        // Solo references: prompt, then each continuation token one at a time.
        var solo: [[[Float]]] = []
        for (prompt, continuation) in zip(prompts, continuations) {
            let state = try network.makeState(contextLength: 64)
            var logits = [try network.forward(prompt, state: state)]
            for token in continuation { logits.append(try network.forward([token], state: state)) }
            solo.append(logits)
        }

        // Blocks of 16 rows handed out in a scrambled order, so no sequence is contiguous in the cache.
        let blockSize = 16
        let order: [Int32] = [5, 2, 7, 0, 3, 6, 1, 4]
        let cache = try network.makeCache(rows: order.count * blockSize)
        let scratch = try network.makeScratch(capacity: 64)
        let slots: [[Int32]] = (0 ..< 3).map { s in
            [order[s], order[s + 3]].flatMap { block in (0 ..< Int32(blockSize)).map { block * Int32(blockSize) + $0 } }
        }
        var worst: Float = 0
        func compare(_ logits: [Float], row: Int, _ reference: [Float], _ label: String) {
            let got = Array(logits[row * vocabulary ..< (row + 1) * vocabulary])
            let difference = zip(got, reference).map { abs($0 - $1) }.max() ?? .infinity
            worst = max(worst, difference)
            #expect(difference <= 1e-4, "\(label): max abs difference \(difference)")
            #expect(Sampler.argmax(got) == Sampler.argmax(reference), "\(label): argmax")
        }

        // Pass 1: sequences 0 and 1 in two chunks each (the first chunk without logits), sequence 2 whole.
        var builder = BatchBuilder()
        let half0 = prompts[0].count / 2
        try builder.add(tokens: Array(prompts[0][..<half0]), firstPosition: 0, cacheSlots: slots[0][...], logits: .none)
        try builder.add(tokens: prompts[1], firstPosition: 0, cacheSlots: slots[1][...], logits: .last)
        var logits = try network.forward(builder.batch, cache: cache, scratch: scratch)
        compare(logits, row: 0, solo[1][0], "sequence 1 prompt")

        builder = BatchBuilder()
        try builder.add(tokens: Array(prompts[0][half0...]), firstPosition: half0, cacheSlots: slots[0][...], logits: .last)
        try builder.add(tokens: [continuations[1][0]], firstPosition: prompts[1].count, cacheSlots: slots[1][...], logits: .last)
        try builder.add(tokens: prompts[2], firstPosition: 0, cacheSlots: slots[2][...], logits: .last)
        logits = try network.forward(builder.batch, cache: cache, scratch: scratch)
        compare(logits, row: 0, solo[0][0], "sequence 0 prompt (second chunk)")
        compare(logits, row: 1, solo[1][1], "sequence 1 decode 1")
        compare(logits, row: 2, solo[2][0], "sequence 2 prompt")

        // Decode rows of all three, sequence 1 one step ahead.
        for step in 0 ..< 2 {
            builder = BatchBuilder()
            try builder.add(tokens: [continuations[0][step]], firstPosition: prompts[0].count + step, cacheSlots: slots[0][...], logits: .last)
            try builder.add(tokens: [continuations[1][step + 1]], firstPosition: prompts[1].count + step + 1, cacheSlots: slots[1][...], logits: .last)
            try builder.add(tokens: [continuations[2][step]], firstPosition: prompts[2].count + step, cacheSlots: slots[2][...], logits: .last)
            logits = try network.forward(builder.batch, cache: cache, scratch: scratch)
            compare(logits, row: 0, solo[0][step + 1], "sequence 0 decode \(step + 1)")
            compare(logits, row: 1, solo[1][step + 2], "sequence 1 decode \(step + 2)")
            compare(logits, row: 2, solo[2][step + 1], "sequence 2 decode \(step + 1)")
        }
        print("batched vs solo logits: max abs difference \(worst)")
    }

    @Test func malformedBatchesAreRefused() throws {
        let network = try TestSupport.model().network
        let cache = try network.makeCache(rows: 32)
        let scratch = try network.makeScratch(capacity: 4)
        var builder = BatchBuilder()
        #expect(throws: ModelError.self) {
            try builder.add(tokens: [1, 2], firstPosition: 31, cacheSlots: (0 ..< 32).map { Int32($0) }[...], logits: .last)
        }
        try builder.add(tokens: [1, 2, 3, 4, 5], firstPosition: 0, cacheSlots: (0 ..< 32).map { Int32($0) }[...], logits: .last)
        #expect(throws: ModelError.self) { try network.forward(builder.batch, cache: cache, scratch: scratch) }
        builder = BatchBuilder()
        try builder.add(tokens: [1], firstPosition: 0, cacheSlots: [40][...], logits: .last)
        #expect(throws: ModelError.self) { try network.forward(builder.batch, cache: cache, scratch: scratch) }
    }
}
