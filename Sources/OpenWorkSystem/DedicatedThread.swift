import Foundation

/// Runs a blocking call on a thread of its own and awaits its result.
///
/// A call that blocks (a write to a full pipe, a wait on a condition) must never occupy one of the few threads of
/// Swift's cooperative pool: there are two on a 2-core machine, and two such calls would stall every task.
public enum DedicatedThread {
    public static func run<Value: Sendable, Failure: Error>(
        name: String,
        _ body: @escaping @Sendable () throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Value, Failure>, Never>) in
            let thread = Thread {
                continuation.resume(returning: Result { () throws(Failure) -> Value in try body() })
            }
            thread.name = name
            thread.start()
        }
        return try result.get()
    }
}
