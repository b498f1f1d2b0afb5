import Foundation

/// Keeps the recursive parser and interpreter off the caller's stack.
///
/// Both recurse once per nesting level of the template, and a hostile template can nest deeply. The
/// depth limits bound that, but how many bytes a level takes depends on the build (debug frames are
/// large) and the caller's thread may have a small stack (secondary threads often get 512 KiB). So the
/// work runs on a thread of its own with a large stack, and every recursive step also checks how much of
/// that stack it has used: too deep is a ``JinjaError/Kind/recursionLimit(_:)``, never a crash.
enum JinjaStack {
    /// The worker thread's stack (virtual; pages are committed only when touched).
    static let threadStackSize = 64 << 20
    /// How much of it the work may use before it is stopped.
    static let usableBytes = 48 << 20

    /// Runs `body` on a large-stack thread and waits for it.
    static func run<T: Sendable>(_ body: @escaping @Sendable (StackGuard) throws(JinjaError) -> T) throws(JinjaError) -> T {
        let box = ResultBox<T>()
        let thread = Thread {
            var marker = 0
            let base = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
            box.result = Result { () throws(JinjaError) -> T in try body(StackGuard(base: base, limit: usableBytes)) }
            box.done.signal()
        }
        thread.stackSize = threadStackSize
        thread.start()
        box.done.wait()
        guard let result = box.result else { throw JinjaError(.recursionLimit(0)) }
        return try result.get()
    }

    private final class ResultBox<T: Sendable>: @unchecked Sendable {
        var result: Result<T, JinjaError>?
        let done = DispatchSemaphore(value: 0)
    }
}

/// Measures stack use from the base address of the worker thread.
struct StackGuard: Sendable {
    let base: UInt
    let limit: Int

    /// A guard that never trips, for work already known to be shallow.
    static let unlimited = StackGuard(base: 0, limit: .max)

    /// Whether the current frame is deeper than the limit (stacks grow down on every platform Swift runs on).
    @inline(never)
    func exceeded() -> Bool {
        guard limit != .max else { return false }
        var marker = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        return here < base && Int(base - here) > limit
    }
}
