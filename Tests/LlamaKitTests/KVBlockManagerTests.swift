@testable import LlamaKit
import Testing

/// The paged KV cache's bookkeeping: reference counts, prefix sharing and eviction.
@Suite("KV block manager")
struct KVBlockManagerTests {
    @Test func allocatesUntilFullAndReusesReleasedBlocks() {
        var blocks = KVBlockManager(blockSize: 4, blockCount: 3)
        let taken = (0 ..< 3).compactMap { _ in blocks.allocate() }
        #expect(Set(taken).count == 3)
        #expect(blocks.allocate() == nil)
        #expect(blocks.usedBlocks == 3 && blocks.availableBlocks == 0)
        blocks.release([taken[1]])
        #expect(blocks.availableBlocks == 1)
        #expect(blocks.allocate() == taken[1])
    }

    @Test func fullBlocksAreSharedByIdenticalPrefixes() {
        var blocks = KVBlockManager(blockSize: 4, blockCount: 8)
        let tokens: [Int32] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        let first = [blocks.allocate()!, blocks.allocate()!, blocks.allocate()!]
        let id0 = blocks.register(first[0], tokens: Array(tokens[0 ..< 4]), parent: 0)
        let id1 = blocks.register(first[1], tokens: Array(tokens[4 ..< 8]), parent: id0)

        // Same first eight tokens: both full blocks are found, each gaining a reference.
        let match = blocks.matchPrefix([1, 2, 3, 4, 5, 6, 7, 8, 42], limit: 8)
        #expect(match.blocks == [first[0], first[1]])
        #expect(match.contentIDs == [id0, id1])
        // A prefix is only matched block by block, and never past the limit.
        #expect(blocks.matchPrefix([1, 2, 3, 4, 5, 6, 7, 9], limit: 7).blocks == [first[0]])
        #expect(blocks.matchPrefix([1, 2, 3, 4, 5, 6, 7, 8], limit: 7).blocks == [first[0]])
        // The same tokens after a different first block are different contents.
        #expect(blocks.matchPrefix([9, 9, 9, 9, 5, 6, 7, 8], limit: 8).blocks.isEmpty)
        // Registering identical contents again keeps the first copy.
        let duplicate = blocks.allocate()!
        #expect(blocks.register(duplicate, tokens: Array(tokens[0 ..< 4]), parent: 0) == id0)
    }

    @Test func releasedPrefixesStayCachedUntilTheirMemoryIsNeeded() {
        var blocks = KVBlockManager(blockSize: 2, blockCount: 3)
        let a = blocks.allocate()!, b = blocks.allocate()!
        let idA = blocks.register(a, tokens: [1, 2], parent: 0)
        _ = blocks.register(b, tokens: [3, 4], parent: idA)
        blocks.release([a, b])
        #expect(blocks.usedBlocks == 0 && blocks.cachedBlocks == 2 && blocks.availableBlocks == 3)
        // Still found after release.
        let again = blocks.matchPrefix([1, 2, 3, 4, 5], limit: 4)
        #expect(again.blocks == [a, b])
        blocks.release(again.blocks)
        // Allocation takes the free block first, then evicts the least recently released (a, then b).
        let free = blocks.allocate()!
        #expect(free != a && free != b)
        #expect(blocks.allocate() == a)
        #expect(blocks.matchPrefix([1, 2, 3, 4], limit: 4).blocks.isEmpty)
        // b's parent contents are gone, so b can no longer be reached, and it is evicted next.
        #expect(blocks.allocate() == b)
        #expect(blocks.allocate() == nil)
    }
}
