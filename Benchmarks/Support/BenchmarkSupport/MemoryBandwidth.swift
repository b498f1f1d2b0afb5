import CMemoryBandwidth

/// STREAM-style memory bandwidth of this machine (Support/CMemoryBandwidth): the bound decode is measured
/// against. Arrays of 1 GiB, far beyond the last-level cache; the best of several passes.
public enum MemoryBandwidth {
    public enum Loop: CaseIterable, Sendable, CustomStringConvertible {
        /// Every line of each thread's slice, hardware prefetch only.
        case read
        /// The same with software prefetch ahead, as the decode kernels do.
        case readPrefetched
        /// Eight interleaved streams per thread with software prefetch: the most any loop here reads.
        case readStreams
        /// STREAM copy, counted as 2 × the array.
        case copy
        /// STREAM triad, counted as 3 × the array.
        case triad

        public var description: String {
            switch self {
            case .read: return "read"
            case .readPrefetched: return "read, prefetched"
            case .readStreams: return "read, 8 streams"
            case .copy: return "copy"
            case .triad: return "triad"
            }
        }

        var kernel: lkb_kernel {
            switch self {
            case .read: return LKB_READ
            case .readPrefetched: return LKB_READ_PREFETCH
            case .readStreams: return LKB_READ_STREAMS
            case .copy: return LKB_COPY
            case .triad: return LKB_TRIAD
            }
        }
    }

    /// Bytes per second of `loop` with `threads` threads (0 if memory or threads could not be had).
    public static func measure(_ loop: Loop, threads: Int, bytes: Int = 1 << 30, passes: Int = 5) -> Double {
        lkb_bandwidth(loop.kernel, bytes, Int32(threads), Int32(passes))
    }

    /// The read bandwidth decode is held to: the best of the read loops.
    public static func readBound(threads: Int) -> (loop: Loop, bytesPerSecond: Double) {
        [Loop.read, .readPrefetched, .readStreams].map { ($0, measure($0, threads: threads)) }.max { $0.1 < $1.1 } ?? (.read, 0)
    }
}

/// A read loop over an array of its own, kept ready between passes so the read bound can be timed right beside
/// each measured step: on a host whose memory bandwidth moves from second to second, a bound measured minutes
/// earlier says little about the moment a step ran.
public final class ReadAlongside {
    private let reader: OpaquePointer
    public let bytes: Int

    /// `bytes` read as ``MemoryBandwidth/Loop/readStreams`` reads, by `threads` threads; nil if memory could not be had.
    public init?(bytes: Int, threads: Int) {
        guard let reader = lkb_reader_create(bytes, Int32(threads)) else { return nil }
        self.reader = reader
        self.bytes = bytes / 256 * 256
    }

    deinit { lkb_reader_destroy(reader) }

    /// Bytes per second of one pass.
    public func pass() -> Double {
        let seconds = lkb_reader_pass(reader)
        return seconds > 0 ? Double(bytes) / seconds : 0
    }
}
