import Foundation
import Synchronization

/// Runs a blocking generation call on a thread of its own and exposes it as an `AsyncSequence` of
/// ``GenerationEvent``: each text piece as it is produced, then `.finished`. The work never occupies a thread of
/// Swift's cooperative pool. Cancelling the consumer, leaving its loop or dropping the stream makes the next
/// `onText` call return `false`, which stops the generation before its next token.
func generationStream(
    _ generate: @escaping @Sendable (_ onText: (String) -> Bool) throws -> GenerationResult
) -> AsyncThrowingStream<GenerationEvent, Error> {
    let (stream, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self, throwing: Error.self)
    let stopped = StopFlag()
    continuation.onTermination = { _ in stopped.set() }
    let thread = Thread {
        do {
            let result = try generate { piece in
                continuation.yield(.text(piece))
                return !stopped.isSet
            }
            continuation.yield(.finished(result))
            continuation.finish()
        } catch {
            continuation.finish(throwing: error)
        }
    }
    thread.name = "LlamaKit generation"
    thread.start()
    return stream
}

/// A flag one side sets and the other polls.
private final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}
