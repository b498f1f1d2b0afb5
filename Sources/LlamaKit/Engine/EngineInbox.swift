import Dispatch
import Synchronization

/// What the callers of an engine hand to its thread, and what the thread tells them back.
///
/// The only state shared between callers and the engine's thread: everything else the thread owns.
final class EngineInbox: Sendable {
    struct Submission: Sendable {
        let id: UInt64
        let prompt: [Int32]
        let options: GenerationOptions
        let continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation
    }

    private struct State {
        var submissions: [Submission] = []
        var cancellations: Set<UInt64> = []
        var shutDown = false
        var nextID: UInt64 = 1
        /// Requests submitted and not yet finished.
        var outstanding = 0
        var statistics: EngineStatistics
    }

    private let state: Mutex<State>
    /// Signalled whenever there is something new for the thread.
    private let wake = DispatchSemaphore(value: 0)
    let limit: Int

    init(limit: Int, statistics: EngineStatistics) {
        self.limit = limit
        state = Mutex(State(statistics: statistics))
    }

    /// Queues a request and returns its id, or the reason it was refused (shut down, or too many outstanding).
    func submit(prompt: [Int32], options: GenerationOptions,
                continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation) -> Result<UInt64, EngineError> {
        let result: Result<UInt64, EngineError> = state.withLock { s in
            if s.shutDown { return .failure(.shutDown) }
            if s.outstanding >= limit { return .failure(.queueFull(limit: limit)) }
            let id = s.nextID
            s.nextID += 1
            s.outstanding += 1
            s.submissions.append(Submission(id: id, prompt: prompt, options: options, continuation: continuation))
            return .success(id)
        }
        if case .success = result { wake.signal() }
        return result
    }

    func cancel(_ id: UInt64) {
        state.withLock { _ = $0.cancellations.insert(id) }
        wake.signal()
    }

    func shutDown() {
        state.withLock { $0.shutDown = true }
        wake.signal()
    }

    /// The thread's side: everything new since the last call. With `wait`, blocks until there is something.
    func take(wait: Bool) -> (submissions: [Submission], cancellations: Set<UInt64>, shutDown: Bool) {
        while true {
            let taken = state.withLock { s in
                defer { s.submissions = []; s.cancellations = [] }
                return (s.submissions, s.cancellations, s.shutDown)
            }
            if !wait || !taken.0.isEmpty || !taken.1.isEmpty || taken.2 { return taken }
            self.wake.wait()
        }
    }

    /// The thread's side: `count` requests have finished.
    func finished(_ count: Int) {
        state.withLock { $0.outstanding -= count }
    }

    func publish(_ statistics: EngineStatistics) {
        state.withLock { $0.statistics = statistics }
    }

    var statistics: EngineStatistics { state.withLock { $0.statistics } }
    var isShutDown: Bool { state.withLock { $0.shutDown } }
}
