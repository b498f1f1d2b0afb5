/// Runs a blocking generation call on a detached task and exposes it as an `AsyncSequence` of
/// ``GenerationEvent``: each text piece as it is produced, then `.finished`. Cancelling the consumer cancels
/// the task, which the generation loop notices before its next token.
func generationStream(
    _ generate: @escaping @Sendable (_ onText: (String) -> Bool) throws -> GenerationResult
) -> AsyncThrowingStream<GenerationEvent, Error> {
    AsyncThrowingStream { continuation in
        let task = Task.detached {
            do {
                let result = try generate { piece in
                    continuation.yield(.text(piece))
                    return !Task.isCancelled
                }
                continuation.yield(.finished(result))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}
