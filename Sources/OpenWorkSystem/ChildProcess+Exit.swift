import Foundation

extension ChildProcess {
    /// How a child ended.
    public enum Exit: Sendable, Hashable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exit \(code)"
            case .signaled(let signal): "signal \(signal)"
            }
        }

        public var json: [String: Int64] {
            switch self {
            case .exited(let code): ["code": Int64(code)]
            case .signaled(let signal): ["signal": Int64(signal)]
            }
        }

        /// The exit code; `nil` when a signal ended the child.
        public var code: Int32? {
            guard case .exited(let code) = self else { return nil }
            return code
        }

        /// The signal that ended the child; `nil` when it exited.
        public var signal: Int32? {
            guard case .signaled(let signal) = self else { return nil }
            return signal
        }
    }
}

/// The exit status, set once by the reaper thread and awaited by anyone, from a task or a thread; a waiting task
/// that is cancelled stops waiting (with `nil`), so a child that never exits cannot hold up a task group.
final class ExitState: @unchecked Sendable {
    private let condition = NSCondition()
    private var exit: ChildProcess.Exit?
    private var waiters: [UUID: CheckedContinuation<ChildProcess.Exit?, Never>] = [:]

    var value: ChildProcess.Exit? { locked { exit } }

    func finish(_ exit: ChildProcess.Exit) {
        let waiting = locked {
            self.exit = exit
            condition.broadcast()
            defer { waiters = [:] }
            return Array(waiters.values)
        }
        for waiter in waiting { waiter.resume(returning: exit) }
    }

    /// The exit, or `nil` if the waiting task was cancelled first.
    func wait() async -> ChildProcess.Exit? {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ChildProcess.Exit?, Never>) in
                let immediate: ChildProcess.Exit?? = locked {
                    if let exit { return .some(exit) }
                    if Task.isCancelled { return .some(nil) }
                    waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = locked { waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }

    /// Blocks the calling thread until the exit, `deadline`, or `interrupted()` is true (checked at each
    /// ``interruptWaits()``); the exit, or `nil` without one.
    func wait(until deadline: ContinuousClock.Instant, unless interrupted: () -> Bool = { false }) -> ChildProcess.Exit?
    {
        locked {
            while exit == nil, !interrupted() {
                let left = deadline - .now
                guard left > .zero else { break }
                _ = condition.wait(until: Date(timeIntervalSinceNow: left.timeInterval))
            }
            return exit
        }
    }

    /// Wakes every blocked ``wait(until:unless:)`` to check its condition.
    func interruptWaits() { locked { condition.broadcast() } }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }
}
