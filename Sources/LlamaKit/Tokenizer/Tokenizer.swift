/// Turns text into token ids and back. The rest of LlamaKit (sessions, samplers, chat) sees only this.
///
/// Token ids are `Int32` because that is what embedding lookups and GGUF files use.
public protocol Tokenizer: Sendable {
    /// The number of tokens in the vocabulary; valid ids are `0 ..< vocabularySize`.
    var vocabularySize: Int { get }
    /// The beginning-of-sequence token, if the vocabulary has one.
    var bosToken: Int32? { get }
    /// The end-of-sequence token, if the vocabulary has one.
    var eosToken: Int32? { get }
    /// Whether the model expects ``bosToken`` in front of a prompt (GGUF `tokenizer.ggml.add_bos_token`).
    var addsBOSByDefault: Bool { get }
    /// Every token that ends the model's turn: the EOS token, plus end-of-turn control tokens such as
    /// `<|im_end|>` or `<|eot_id|>`. Generation stops at any of them.
    var endOfTurnTokens: Set<Int32> { get }

    /// Encodes `text`.
    ///
    /// - Parameters:
    ///   - addBOS: Put ``bosToken`` first, unless the result already starts with it (so a prompt whose text
    ///     begins with the BOS token's text never gets two).
    ///   - parseSpecial: Recognise the text of control tokens (such as `<|im_start|>`) as those tokens.
    ///     Leave it `false` for text from users, so they cannot inject turn markers; set it for prompts
    ///     rendered from a chat template.
    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int32]

    /// Decodes `ids` to text. Byte sequences that are not valid UTF-8 become U+FFFD.
    func decode(_ ids: [Int32]) throws(TokenizerError) -> String
    /// The raw bytes `ids` stand for, which need not be valid UTF-8 on their own.
    func decodeBytes(_ ids: [Int32]) throws(TokenizerError) -> [UInt8]
    /// The raw bytes of one token.
    func tokenBytes(_ id: Int32) throws(TokenizerError) -> [UInt8]
    /// The id of the token spelled exactly `text` in the vocabulary (e.g. `"<|im_end|>"`), if any.
    func tokenID(for text: String) -> Int32?
    /// The chat template the tokenizer file carries, as Jinja source (GGUF `tokenizer.chat_template`,
    /// `tokenizer_config.json` `chat_template`); `nil` when it has none.
    var chatTemplateSource: String? { get }
}

extension Tokenizer {
    /// No chat template, for tokenizers whose files carry none.
    public var chatTemplateSource: String? { nil }

    /// Decodes ``decodeBytes(_:)`` as UTF-8, replacing invalid sequences with U+FFFD.
    public func decode(_ ids: [Int32]) throws(TokenizerError) -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }
}
