import Synchronization

/// The holders and waiters of this process for each lock file, in arrival order: only the first of them touches
/// the file (``FileLock`` polls `flock` for the other processes), the rest wait for their turn without waking.
///
/// Without it, n waiters on one actor each polled every few milliseconds and the holder's own continuation
/// queued behind their wake-ups: n² work, and 200 waiters on a loaded machine took more than a minute. A turn is
/// handed to the next waiter directly when it is given back, so nobody of this process can overtake the queue.
final class LocalTurns: Sendable {
    static let shared = LocalTurns()

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var busy: Set<String> = []
        var queues: [String: [Waiter]] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Takes `path`'s turn if nobody of this process has it.
    func tryTake(_ path: String) -> Bool {
        state.withLock { $0.busy.insert(path).inserted }
    }

    /// Takes `path`'s turn: at once when it is free, else when it is handed over; `false` at the deadline.
    func take(_ path: String, deadline: ContinuousClock.Instant) async -> Bool {
        if tryTake(path) { return true }
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let timer = Mutex<Task<Void, Never>?>(nil)
        let granted = await withCheckedContinuation { continuation in
            // Checked and queued under one lock: the holder may have given the turn back since `tryTake`, and a
            // waiter queued behind a free turn would wait for a hand-over that never comes.
            let queued = state.withLock { state in
                guard !state.busy.insert(path).inserted else { return false }
                state.queues[path, default: []].append(Waiter(id: id, continuation: continuation))
                return true
            }
            guard queued else {
                continuation.resume(returning: true)
                return
            }
            // Started once the waiter is queued, so an expiry always finds it (or finds it already served).
            timer.withLock { timer in
                timer = Task {
                    try? await Task.sleep(until: deadline)
                    self.expire(path, id)
                }
            }
        }
        timer.withLock { $0?.cancel() }
        return granted
    }

    /// Gives `path`'s turn back: to the first waiter, else it becomes free.
    func give(_ path: String) {
        let next: Waiter? = state.withLock { state in
            guard var queue = state.queues[path], !queue.isEmpty else {
                state.busy.remove(path)
                return nil
            }
            let first = queue.removeFirst()
            state.queues[path] = queue.isEmpty ? nil : queue
            return first
        }
        next?.continuation.resume(returning: true)
    }

    /// Waiter `id`'s deadline passed: it leaves the queue with `false` (unless it was served meanwhile).
    private func expire(_ path: String, _ id: UInt64) {
        let expired: Waiter? = state.withLock { state in
            guard let index = state.queues[path]?.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = state.queues[path]?.remove(at: index)
            if state.queues[path]?.isEmpty == true { state.queues[path] = nil }
            return waiter
        }
        expired?.continuation.resume(returning: false)
    }
}
