import Foundation

/// One of a child's output streams, kept as a bounded list of recent lines (each cut at 4 KiB) and fed to any
/// live streams; filled by a ``LineReader``.
final class LineBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var all: [String] = []
    private var closed = false
    private var continuations: [AsyncStream<String>.Continuation] = []
    private let keep: Int
    private let onLine: (@Sendable (String) -> Void)?

    init(keep: Int, onLine: (@Sendable (String) -> Void)?) {
        self.keep = keep
        self.onLine = onLine
    }

    func recent() -> [String] { lock.withLock { lines } }

    var isClosed: Bool { lock.withLock { closed } }

    /// A stream of every line from the first one (earlier lines are replayed, up to the number kept).
    func stream() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        lock.withLock {
            for line in all { continuation.yield(line) }
            if closed {
                continuation.finish()
            } else {
                continuations.append(continuation)
            }
        }
        return stream
    }

    func receive(_ event: LineReader.Event) {
        switch event {
        case .line(let line): deliver(line.text(maximumBytes: 4_096))
        case .end: finish()
        }
    }

    private func deliver(_ line: String) {
        let listeners = lock.withLock {
            lines.append(line)
            if lines.count > keep { lines.removeFirst(lines.count - keep) }
            if all.count < keep { all.append(line) }
            return continuations
        }
        for continuation in listeners { continuation.yield(line) }
        onLine?(line)
    }

    private func finish() {
        let finished = lock.withLock {
            closed = true
            defer { continuations = [] }
            return continuations
        }
        for continuation in finished { continuation.finish() }
    }
}
