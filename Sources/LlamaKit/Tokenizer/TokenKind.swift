/// What a vocabulary entry is, from GGUF `tokenizer.ggml.token_type`.
public enum TokenKind: Int, Sendable, CaseIterable {
    /// Type 0: unspecified; treated like a normal token.
    case undefined = 0
    /// Type 1: ordinary text, reachable by BPE merges.
    case normal = 1
    /// Type 2: the unknown-token placeholder.
    case unknown = 2
    /// Type 3: a control token such as `<|im_start|>`; matched in text only when special tokens are parsed.
    case control = 3
    /// Type 4: a user-defined token added after training; always matched whole in text.
    case userDefined = 4
    /// Type 5: reserved and unused.
    case unused = 5
    /// Type 6: a raw byte, spelled `<0xAB>`.
    case byte = 6

    /// Whether the token's text stands for itself rather than for byte-level spelled bytes.
    var isLiteralText: Bool {
        switch self {
        case .control, .userDefined, .unknown, .unused: return true
        case .undefined, .normal, .byte: return false
        }
    }
}
