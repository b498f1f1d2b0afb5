import Foundation

/// The ~10 MB multilingual text the tokenizer benchmarks encode, built from the committed Llama 3 golden
/// corpus exactly as `Benchmarks/tokenizer_bench.py` builds it, so that tiktoken, `tokenizers` and LlamaKit
/// time the same bytes: every case except the "repeated" ones, shuffled with a 64-bit LCG, joined with
/// "\n", round after round until 10,000,000 UTF-8 bytes are reached.
enum BenchmarkText {
    static let targetBytes = 10_000_000

    /// The repository root, two levels above this file.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var goldenPath: URL { root.appendingPathComponent("Tests/Fixtures/tokenizer/llama3_tokenizer_golden.json") }
    static var llama3Folder: String { root.appendingPathComponent(".models/llama3").path }

    private struct Golden: Decodable {
        struct Case: Decodable {
            let category: String
            let text: String
        }

        let cases: [Case]
    }

    static func make(targetBytes: Int = targetBytes) throws -> String {
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: goldenPath))
        let texts = golden.cases.filter { $0.category != "repeated" }.map(\.text)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var pieces: [String] = []
        var size = 0
        while size < targetBytes {
            var order = Array(texts.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let j = Int((state >> 33) % UInt64(i + 1))
                order.swapAt(i, j)
            }
            for k in order {
                pieces.append(texts[k])
                size += texts[k].utf8.count + 1
                if size >= targetBytes { break }
            }
        }
        return pieces.joined(separator: "\n")
    }
}
