import Foundation
@testable import LlamaKit

/// A test-side reader for Meta's Llama 3 `tokenizer.model` (tiktoken format: one base64 token and its
/// rank per line), so the Llama 3 chat goldens can be compared as ids before the library has its own
/// loader. Merges come from the ranks as Hugging Face's tiktoken conversion derives them: every split of
/// a token into two tokens is a merge, ordered by the merged token's rank.
enum Llama3TiktokenTokenizer {
    static let path = TestPaths.packageRoot.appendingPathComponent(".models/llama3/tokenizer.model").path

    struct Missing: Error, CustomStringConvertible {
        var description: String { "\(Llama3TiktokenTokenizer.path) not found; run `make fetch`." }
    }

    /// Llama 3.1's 256 special tokens, from id 128000.
    static let specialNames: [String] = {
        var names = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                     "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
                     "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
        names += (3 ..< 248).map { "<|reserved_special_token_\($0)|>" }
        return names
    }()

    static let shared: Result<ByteLevelBPETokenizer, Error> = Result {
        guard FileManager.default.fileExists(atPath: path) else { throw Missing() }
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        var byRank: [[UInt8]] = []
        var rankOf: [[UInt8]: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let data = Data(base64Encoded: String(parts[0])), let rank = Int(parts[1]), rank == byRank.count else {
                throw Missing()
            }
            byRank.append(Array(data))
            rankOf[Array(data)] = rank
        }
        var merges: [(rank: Int, left: Int, right: Int, text: String)] = []
        for (rank, token) in byRank.enumerated() where token.count > 1 {
            var local: [(Int, Int, String)] = []
            for cut in 1 ..< token.count {
                let left = Array(token[..<cut])
                let right = Array(token[cut...])
                if let l = rankOf[left], let r = rankOf[right] {
                    local.append((l, r, ByteUnicodeMapping.spelling(of: left) + " " + ByteUnicodeMapping.spelling(of: right)))
                }
            }
            for (l, r, text) in local.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                merges.append((rank, l, r, text))
            }
        }
        let tokens = byRank.map { ByteUnicodeMapping.spelling(of: $0) } + specialNames
        let kinds = Array(repeating: TokenKind.normal, count: byRank.count) + Array(repeating: TokenKind.control, count: specialNames.count)
        return try ByteLevelBPETokenizer(tokens: tokens, kinds: kinds, merges: merges.map(\.text), preTokenizer: .llama3,
                                         bosToken: Int32(byRank.count), eosToken: Int32(byRank.count + 9))
    }

    static func get() throws -> ByteLevelBPETokenizer { try shared.get() }
}
