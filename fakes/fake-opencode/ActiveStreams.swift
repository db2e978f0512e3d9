import Synchronization

/// Counts the event-stream responses still being written, so shutdown can wait for their last bytes.
final class ActiveStreams: Sendable {
    private let count = Mutex(0)

    func begin() {
        count.withLock { $0 += 1 }
    }

    func end() {
        count.withLock { $0 -= 1 }
    }

    var current: Int { count.withLock { $0 } }

    /// Returns once no stream is open, or at `timeout`.
    func waitUntilIdle(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while current > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
