/// Holds back streamed text that might be the start of a stop string, so a stop string is never
/// half-emitted before it is recognised.
struct StopStringFilter {
    let stopStrings: [String]
    private var pending = ""
    private(set) var matched: String?

    init(_ stopStrings: [String]) { self.stopStrings = stopStrings.filter { !$0.isEmpty } }

    /// Adds text; returns what can be emitted now. After a match, returns the text before it and sets `matched`.
    mutating func push(_ text: String) -> String {
        guard !stopStrings.isEmpty else { return text }
        pending += text
        var earliest: (range: Range<String.Index>, stop: String)?
        for stop in stopStrings {
            guard let range = pending.range(of: stop) else { continue }
            if let current = earliest, current.range.lowerBound <= range.lowerBound { continue }
            earliest = (range, stop)
        }
        if let earliest {
            matched = earliest.stop
            let emitted = String(pending[..<earliest.range.lowerBound])
            pending = ""
            return emitted
        }
        // Keep the longest suffix that is a prefix of some stop string.
        var keep = 0
        for stop in stopStrings {
            for length in stride(from: min(stop.count - 1, pending.count), to: keep, by: -1)
            where pending.hasSuffix(stop.prefix(length)) {
                keep = length
                break
            }
        }
        let cut = pending.index(pending.endIndex, offsetBy: -keep)
        let emitted = String(pending[..<cut])
        pending = String(pending[cut...])
        return emitted
    }

    /// Whatever is still held back (at the end of generation without a match).
    mutating func flush() -> String {
        defer { pending = "" }
        return pending
    }
}
