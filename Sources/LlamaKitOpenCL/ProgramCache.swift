import Foundation

/// Compiled program binaries on disk, so the second start of a backend on the same device does not compile.
///
/// The key hashes everything that changes the binary: platform, device and driver versions, build options
/// and the kernel source. An entry is `magic, payload length, payload hash, payload`; one that is truncated
/// or altered fails the hash and is ignored (and later overwritten), so a corrupt cache costs one rebuild,
/// never a crash. Writes go to a temporary file that is renamed into place, so a crash mid-write leaves no
/// torn entry and concurrent processes do not see each other's partial files.
struct ProgramCache {
    let directory: URL

    private static let magic = Array("LKCLBIN1".utf8)

    /// `$LLAMAKIT_OPENCL_CACHE`, else `$XDG_CACHE_HOME/llamakit/opencl`, else `~/.cache/llamakit/opencl`.
    static var defaultDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["LLAMAKIT_OPENCL_CACHE"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache", isDirectory: true)
        return base.appendingPathComponent("llamakit/opencl", isDirectory: true)
    }

    /// The key of a program: a 64-bit FNV-1a hash of its identifying strings, in hex.
    static func key(_ parts: [String]) -> String {
        var bytes: [UInt8] = []
        for part in parts {
            bytes += Array(part.utf8)
            bytes.append(0)  // separator: ("ab", "c") and ("a", "bc") must differ
        }
        return String(format: "%016llx", fnv1a(bytes))
    }

    func file(for key: String) -> URL {
        directory.appendingPathComponent("\(key).bin")
    }

    /// The stored binary, or nil when there is none or it does not verify.
    func load(key: String) -> [UInt8]? {
        guard let data = try? Data(contentsOf: file(for: key)) else { return nil }
        let bytes = [UInt8](data)
        let header = Self.magic.count + 16
        guard bytes.count >= header, Array(bytes[0 ..< Self.magic.count]) == Self.magic else { return nil }
        let length = Self.readUInt64(bytes, at: Self.magic.count)
        let hash = Self.readUInt64(bytes, at: Self.magic.count + 8)
        guard length > 0, UInt64(bytes.count - header) == length else { return nil }
        let payload = Array(bytes[header...])
        return Self.fnv1a(payload) == hash ? payload : nil
    }

    /// Stores a binary; returns whether it was written (a read-only cache is not an error).
    @discardableResult
    func store(key: String, binary: [UInt8]) -> Bool {
        guard !binary.isEmpty else { return false }
        var bytes = Self.magic
        Self.appendUInt64(&bytes, UInt64(binary.count))
        Self.appendUInt64(&bytes, Self.fnv1a(binary))
        bytes += binary
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let temporary = directory.appendingPathComponent(".\(key).\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString).tmp")
            try Data(bytes).write(to: temporary)
            // rename(2) replaces an existing entry atomically.
            guard rename(temporary.path, file(for: key).path) == 0 else {
                try? FileManager.default.removeItem(at: temporary)
                return false
            }
            return true
        } catch {
            return false
        }
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    private static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    private static func appendUInt64(_ bytes: inout [UInt8], _ value: UInt64) {
        for i in 0 ..< 8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}
