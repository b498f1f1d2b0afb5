import ArgumentParser
import Foundation
import LlamaKit

/// Tokenizes text with any tokenizer LlamaKit reads (tokenizer.json, tiktoken tokenizer.model, .gguf, or a
/// model folder), decodes ids, runs whole test corpora through one process, and measures encoding speed.
@main
struct LlamaTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llama-tokenize",
        abstract: "Encode text to token ids, decode ids to text, or time encoding.",
        discussion: """
            Exactly one of --text, --decode, --jsonl, --bench.
              --text TEXT      prints the ids as a JSON array
              --decode 1,2,3   prints the text
              --jsonl          reads {"id": ..., "text": ...} lines on stdin, writes {"id": ..., "ids": [...]} lines
              --bench FILE     encodes FILE (single thread) and prints MB/s and tokens/s
            """
    )

    @Option(help: "A tokenizer.json, a tiktoken tokenizer.model, a .gguf model, or a folder holding one.")
    var tokenizer: String
    @Option(help: "Text to encode.")
    var text: String?
    @Option(help: "Comma-separated token ids to decode.")
    var decode: String?
    @Flag(help: "Read JSON lines {\"id\": ..., \"text\": ...} from stdin; write {\"id\": ..., \"ids\": [...]} lines.")
    var jsonl = false
    @Option(help: "Time encoding of this UTF-8 file and print MB/s and tokens/s.")
    var bench: String?
    @Option(help: "Rounds for --bench; the best is reported.")
    var rounds = 3
    @Flag(help: "Put the BOS token first.")
    var bos = false
    @Flag(help: "Parse special-token texts such as <|eot_id|> as those tokens.")
    var special = false

    func validate() throws {
        let modes = [text != nil, decode != nil, jsonl, bench != nil].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("Give exactly one of --text, --decode, --jsonl, --bench.") }
        guard rounds > 0 else { throw ValidationError("--rounds must be positive.") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let loadCPUStart = threadCPUSeconds()
        let tokenizer: any Tokenizer
        do {
            tokenizer = try loadTokenizer(path: self.tokenizer)
        } catch {
            throw fail("error: \(error)")
        }
        let loadTime = clock.now - start
        let loadCPU = threadCPUSeconds() - loadCPUStart

        if let text {
            print(json(tokenizer.encode(text, addBOS: bos, parseSpecial: special)))
        } else if let decode {
            var ids: [Int32] = []
            for part in decode.split(separator: ",") {
                guard let id = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                    throw fail("error: '\(part)' is not a token id")
                }
                ids.append(id)
            }
            do {
                print(try tokenizer.decode(ids))
            } catch {
                throw fail("error: \(error)")
            }
        } else if jsonl {
            try runJSONLines(tokenizer)
        } else if let bench {
            try runBench(tokenizer, file: bench, loadTime: loadTime, loadCPU: loadCPU)
        }
    }

    private func runJSONLines(_ tokenizer: any Tokenizer) throws {
        var lineNumber = 0
        var output = ""
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.isEmpty { continue }
            // JSONDecoder rather than JSONSerialization: the latter drops U+FEFF inside strings.
            guard let request = try? JSONDecoder().decode(Request.self, from: Data(line.utf8)) else {
                throw fail("error: stdin line \(lineNumber) is not a JSON object with a string \"text\"")
            }
            let text = request.text
            let idJSON = request.id?.json ?? "null"
            output += "{\"id\":\(idJSON),\"ids\":\(json(tokenizer.encode(text, addBOS: bos, parseSpecial: special)))}\n"
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }

    /// One `--jsonl` input line.
    private struct Request: Decodable {
        let id: ID?
        let text: String
    }

    /// A case id, echoed back as it came: a number, a string, a boolean or null.
    private enum ID: Decodable {
        case int(Int)
        case double(Double)
        case string(String)
        case bool(Bool)
        case null

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let value = try? container.decode(Int.self) { self = .int(value) }
            else if let value = try? container.decode(Double.self) { self = .double(value) }
            else if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else { self = .string(try container.decode(String.self)) }
        }

        var json: String {
            switch self {
            case let .int(value): return String(value)
            case let .double(value): return String(value)
            case let .bool(value): return String(value)
            case .null: return "null"
            case let .string(value):
                return (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
            }
        }
    }

    private func runBench(_ tokenizer: any Tokenizer, file: String, loadTime: Duration, loadCPU: Double) throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw fail("error: cannot read \(file)") }
        let text = String(decoding: data, as: UTF8.self)
        let clock = ContinuousClock()
        var best = Duration.seconds(1_000_000)
        var bestCPU = Double.infinity
        var count = 0
        for _ in 0 ..< rounds {
            let cpuStart = threadCPUSeconds()
            let start = clock.now
            let ids = tokenizer.encode(text, addBOS: false, parseSpecial: special)
            let elapsed = clock.now - start
            bestCPU = min(bestCPU, threadCPUSeconds() - cpuStart)
            count = ids.count
            best = min(best, elapsed)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) * 1e-18
        let load = Double(loadTime.components.seconds) + Double(loadTime.components.attoseconds) * 1e-18
        // CPU time is what one uncontended core would take; wall time includes waiting for a busy machine.
        print(String(format: "load %.3f s (thread CPU %.3f s); %d bytes -> %d tokens; best of %d: wall %.3f s = %.2f MB/s, %.2f M tokens/s; thread CPU %.3f s = %.2f MB/s",
                     load, loadCPU, data.count, count, rounds, seconds, Double(data.count) / seconds / 1e6, Double(count) / seconds / 1e6,
                     bestCPU, Double(data.count) / bestCPU / 1e6))
    }

    private func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    private func json(_ ids: [Int32]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    /// Prints `message` to stderr and returns the error that makes the command exit with status 1.
    private func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return ExitCode.failure
    }
}
