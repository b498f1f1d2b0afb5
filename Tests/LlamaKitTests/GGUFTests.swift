import Foundation
import LlamaKit
import LlamaKitTestSupport
import Testing

@Suite("GGUF reader")
struct GGUFTests {
    /// Parses bytes and returns the typed error, or nil if the file parsed.
    func parseError(_ bytes: [UInt8]) throws -> GGUFError? {
        let path = try GGUFBuilder().write(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try GGUFFile(path: path)
            return nil
        } catch let error as GGUFError {
            return error
        }
    }

    func header(tensors: UInt64 = 0, kvs: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        for v in [UInt32(0x4655_4747), 3] { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        for v in [tensors, kvs] { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        return out
    }

    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    @Test func readsAValidFile() throws {
        var builder = GGUFBuilder.tinyLlama()
        builder.metadata.append(("tokenizer.ggml.tokens", .strings(["a", "b", "ü"])))
        builder.metadata.append(("test.ids", .i32s([1, -2, 3])))
        let path = try builder.write()
        let file = try GGUFFile(path: path)
        #expect(file.version == 3)
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.int("llama.block_count") == 2)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.strings == ["a", "b", "ü"])
        #expect(file.metadata["test.ids"]?.ints == [1, -2, 3])
        #expect(file.metadataKeys.first == "general.architecture")
        let embedding = try file.tensor("token_embd.weight")
        #expect(embedding.rows == 16 && embedding.columns == 8 && embedding.type == .f32)
        #expect(embedding.bytes.count == 16 * 8 * 4)
        #expect(embedding.bytes.load(fromByteOffset: 4, as: Float.self) == 0.5)
        #expect(throws: GGUFError.missingTensor("nope")) { try file.tensor("nope") }
        #expect(throws: GGUFError.missingKey("nope")) { try file.int("nope") }
        #expect(throws: GGUFError.wrongKeyType(key: "general.architecture", expected: "an integer")) { try file.int("general.architecture") }
    }

    @Test func rejectsBadMagicAndVersions() throws {
        var bytes = GGUFBuilder.tinyLlama().bytes()
        bytes[0] = 0x00
        guard case .badMagic = try parseError(bytes) else { Issue.record("expected badMagic"); return }
        for version: UInt32 in [1, 4, 0x0300_0000] {
            var b = GGUFBuilder.tinyLlama()
            b.version = version
            #expect(try parseError(b.bytes()) == .unsupportedVersion(version))
        }
    }

    @Test func everyTruncationIsATypedError() throws {
        let bytes = GGUFBuilder.tinyLlama().bytes()
        // Every cut through the header and tensor directory, then a sample through the data.
        var cuts = Array(0 ..< 1200)
        cuts += stride(from: 1200, to: bytes.count, by: 97)
        for cut in cuts where cut < bytes.count {
            let error = try parseError(Array(bytes[..<cut]))
            #expect(error != nil, "a file cut at \(cut) of \(bytes.count) bytes parsed")
        }
        #expect(try parseError(bytes) == nil)
    }

    @Test func stringLengthPastTheEnd() throws {
        let bytes = header(kvs: 1) + le(UInt64(4)) + Array("test".utf8) + le(UInt32(8)) + le(UInt64(1) << 40) + Array("abc".utf8)
        guard case .truncated = try parseError(bytes) else { Issue.record("expected truncated"); return }
        let hugeKey = header(kvs: 1) + le(UInt64.max) + Array("x".utf8)
        guard case .truncated = try parseError(hugeKey) else { Issue.record("expected truncated"); return }
    }

    @Test func arrayLengthPastTheEnd() throws {
        let bytes = header(kvs: 1) + le(UInt64(1)) + Array("a".utf8) + le(UInt32(9)) + le(UInt32(4)) + le(UInt64(1) << 50) + le(UInt32(7))
        guard case .truncated = try parseError(bytes) else { Issue.record("expected truncated"); return }
        let unknownElement = header(kvs: 1) + le(UInt64(1)) + Array("a".utf8) + le(UInt32(9)) + le(UInt32(99)) + le(UInt64(1))
        #expect(try parseError(unknownElement) == .unknownValueType(key: "a", type: 99))
        let unknownType = header(kvs: 1) + le(UInt64(1)) + Array("a".utf8) + le(UInt32(13)) + le(UInt64(1))
        #expect(try parseError(unknownType) == .unknownValueType(key: "a", type: 13))
    }

    @Test func hugeCountsAreRejectedBeforeAllocating() throws {
        guard case .truncated = try parseError(header(tensors: 0, kvs: UInt64.max)) else { Issue.record("kv count"); return }
        guard case .truncated = try parseError(header(tensors: UInt64.max, kvs: 0)) else { Issue.record("tensor count"); return }
    }

    @Test func tensorOffsetsOutOfRangeOrOverlapping() throws {
        var b = GGUFBuilder.tinyLlama()
        b.tensors[3].offset = 1 << 30
        guard case .tensorOutOfRange(let name, _, _, _) = try parseError(b.bytes()) else { Issue.record("out of range"); return }
        #expect(name == b.tensors[3].name)

        var overlap = GGUFBuilder.tinyLlama()
        overlap.tensors[2].offset = 0
        guard case .overlappingTensors = try parseError(overlap.bytes()) else { Issue.record("overlap"); return }

        var misaligned = GGUFBuilder.tinyLlama()
        misaligned.tensors[1].offset = 4
        guard case .misalignedTensor = try parseError(misaligned.bytes()) else { Issue.record("misaligned"); return }

        var wrapping = GGUFBuilder.tinyLlama()
        wrapping.tensors[1].offset = UInt64.max - 31
        #expect(try parseError(wrapping.bytes()) != nil)
    }

    @Test func unknownTypesAndOverflowingShapes() throws {
        var unknown = GGUFBuilder.tinyLlama()
        unknown.tensors[0].type = 999
        #expect(try parseError(unknown.bytes()) == .unknownTensorType(tensor: "token_embd.weight", type: 999))

        var overflow = GGUFBuilder.tinyLlama()
        overflow.tensors[0].dims = [1 << 40, 1 << 40]
        guard case .shapeOverflow = try parseError(overflow.bytes()) else { Issue.record("overflow"); return }

        var tooMany = GGUFBuilder.tinyLlama()
        tooMany.tensors[0].dims = [1, 1, 1, 1, 1]
        guard case .tooManyDimensions = try parseError(tooMany.bytes()) else { Issue.record("dims"); return }

        var partialBlock = GGUFBuilder.tinyLlama()
        partialBlock.tensors[0].type = TensorType.q8_0.rawValue  // 8 columns is not a whole 32-element block
        guard case .rowNotWholeBlocks = try parseError(partialBlock.bytes()) else { Issue.record("blocks"); return }
    }

    @Test func knownButUnsupportedTypeFailsOnUse() throws {
        var b = GGUFBuilder()
        b.metadata = [("general.architecture", .string("test"))]
        b.tensors = [.init(name: "q5k", dims: [256], type: 13, data: [UInt8](repeating: 0, count: 176))]
        let file = try GGUFFile(path: b.write())
        #expect(throws: GGUFError.unsupportedTensorType(tensor: "q5k", type: "Q5_K")) { try file.tensor("q5k") }
    }

    @Test func badAlignmentAndDuplicates() throws {
        var b = GGUFBuilder.tinyLlama()
        b.metadata.append(("general.alignment", .u32(24)))
        #expect(try parseError(b.bytes()) == .badAlignment(24))
        var d = GGUFBuilder.tinyLlama()
        d.metadata.append(("llama.block_count", .u32(3)))
        #expect(try parseError(d.bytes()) == .duplicateKey("llama.block_count"))
        var t = GGUFBuilder.tinyLlama()
        t.tensors.append(GGUFBuilder.f32Tensor("output_norm.weight", rows: 1, columns: 8))
        #expect(try parseError(t.bytes()) == .duplicateTensor("output_norm.weight"))
    }

    /// Random corruption never crashes the reader: each file parses or throws a GGUFError.
    @Test func randomCorruptionNeverCrashes() throws {
        let original = GGUFBuilder.tinyLlama().bytes()
        var rng = SeededGenerator(seed: 7)
        var rejected = 0
        for _ in 0 ..< 300 {
            var bytes = original
            for _ in 0 ..< 1 + Int(rng.next() % 4) {
                let at = Int(rng.next() % UInt64(min(bytes.count, 1400)))
                bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            if try parseError(bytes) != nil { rejected += 1 }
        }
        #expect(rejected > 0)
    }

    @Test func configurationErrors() throws {
        var missing = GGUFBuilder.tinyLlama()
        missing.metadata.removeAll { $0.0 == "llama.block_count" }
        #expect(throws: GGUFError.missingKey("llama.block_count")) { try LlamaConfiguration(gguf: GGUFFile(path: missing.write())) }

        var heads = GGUFBuilder.tinyLlama()
        heads.metadata.removeAll { $0.0 == "llama.attention.head_count_kv" }
        heads.metadata.append(("llama.attention.head_count_kv", .u32(3)))
        #expect(throws: ModelError.self) { try LlamaConfiguration(gguf: GGUFFile(path: heads.write())) }

        var arch = GGUFBuilder.tinyLlama()
        arch.metadata[0] = ("general.architecture", .string("mamba"))
        #expect(throws: ModelError.unsupportedArchitecture("mamba")) { try LlamaConfiguration(gguf: GGUFFile(path: arch.write())) }

        var wrongType = GGUFBuilder.tinyLlama()
        wrongType.metadata.removeAll { $0.0 == "llama.block_count" }
        wrongType.metadata.append(("llama.block_count", .string("two")))
        #expect(throws: GGUFError.wrongKeyType(key: "llama.block_count", expected: "an integer")) {
            try LlamaConfiguration(gguf: GGUFFile(path: wrongType.write()))
        }
    }

    @Test func missingFileIsATypedError() {
        #expect(throws: FileError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
    }
}
