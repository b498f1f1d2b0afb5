#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tokenizer a GGUF file describes, chosen by its `tokenizer.ggml.model`.
///
/// Only byte-level BPE (`"gpt2"`) is implemented so far; other models throw
/// ``TokenizerError/unsupportedModel(_:supported:)``.
public func loadTokenizer(from gguf: GGUFFile) throws(TokenizerError) -> any Tokenizer {
    try ByteLevelBPETokenizer.load(from: gguf)
}

/// The formats ``loadTokenizer(path:)`` reads.
public enum TokenizerFileFormat: String, Sendable, CaseIterable {
    /// A Hugging Face `tokenizer.json` (with `tokenizer_config.json` beside it, if present).
    case huggingFace = "tokenizer.json"
    /// A tiktoken vocabulary such as Meta's Llama 3 `tokenizer.model`, with Llama 3.1's special tokens.
    case tiktoken = "tokenizer.model"
    /// The tokenizer in a GGUF model file's metadata.
    case gguf
}

/// Loads the tokenizer at `path`: a `tokenizer.json`, a tiktoken `tokenizer.model`, a `.gguf` model, or a
/// model folder holding one of them (looked for in that order: `tokenizer.json`, then `tokenizer.model`,
/// then the folder's only `.gguf` file).
///
/// Files are told apart by their contents (`{` starts JSON, `GGUF` starts a GGUF file, anything else is
/// read as tiktoken), so a renamed file loads too. Throws
/// ``TokenizerError/unrecognizedTokenizerPath(_:)`` for a folder without a tokenizer.
public func loadTokenizer(path: String) throws(TokenizerError) -> any Tokenizer {
    let (file, format) = try resolveTokenizerPath(path)
    switch format {
    case .huggingFace:
        return try ByteLevelBPETokenizer.loadHuggingFace(path: file)
    case .tiktoken:
        return try ByteLevelBPETokenizer.loadTiktoken(path: file)
    case .gguf:
        let gguf: GGUFFile
        do {
            gguf = try GGUFFile(path: file)
        } catch {
            throw .unreadableFile(path: file, reason: "\(error)")
        }
        return try ByteLevelBPETokenizer.load(from: gguf)
    }
}

/// The tokenizer file `path` names (itself, or the one in the folder it names) and its format.
public func resolveTokenizerPath(_ path: String) throws(TokenizerError) -> (file: String, format: TokenizerFileFormat) {
    var info = stat()
    guard stat(path, &info) == 0 else {
        throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
        let folder = path.hasSuffix("/") ? path : path + "/"
        for format in [TokenizerFileFormat.huggingFace, .tiktoken] where fileExists(folder + format.rawValue) {
            return (folder + format.rawValue, format)
        }
        let ggufs = listFolder(folder).filter { $0.hasSuffix(".gguf") }.sorted()
        guard ggufs.count == 1 else { throw .unrecognizedTokenizerPath(path) }
        return (folder + ggufs[0], .gguf)
    }
    return (path, try sniffFormat(path))
}

/// Tells the formats apart by the first bytes of the file.
private func sniffFormat(_ path: String) throws(TokenizerError) -> TokenizerFileFormat {
    guard let handle = fopen(path, "rb") else {
        throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    defer { fclose(handle) }
    var head = [UInt8](repeating: 0, count: 64)
    let count = fread(&head, 1, head.count, handle)
    let bytes = head[..<count].drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
    if bytes.first == UInt8(ascii: "{") { return .huggingFace }
    if head[..<count].starts(with: Array("GGUF".utf8)) { return .gguf }
    return .tiktoken
}

/// Whether a regular file (or a link to one) exists at `path`.
func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
}

/// The names of the entries of `folder`.
private func listFolder(_ folder: String) -> [String] {
    guard let dir = opendir(folder) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
            pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                String(cString: $0)
            }
        }
        if name != ".", name != ".." { names.append(name) }
    }
    return names
}
