import Foundation
import OpenWorkSystem

/// The lines of one output stream of a ``TestProcess``, handed out one at a time with deadlines, plus the
/// stream's first mebibyte whatever was handed out.
final class LineQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var lines: [LineReader.Line] = []
    private var consumed = 0
    private var closed = false
    private var all: [UInt8] = []
    private let name: String

    init(name: String) {
        self.name = name
    }

    func receive(_ event: LineReader.Event) {
        condition.lock()
        defer { condition.unlock() }
        switch event {
        case .line(let line):
            lines.append(line)
            if all.count < 1 << 20 { all.append(contentsOf: line.original) }
        case .end:
            closed = true
        }
        condition.broadcast()
    }

    var everything: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: all, as: UTF8.self)
    }

    /// The next line's bytes (without its LF) as text, or `nil` once the stream ended and every line was read.
    func readLine(within deadline: Duration) throws(TestProcess.Timeout) -> String? {
        let end = Date(timeIntervalSinceNow: deadline.timeInterval)
        condition.lock()
        defer { condition.unlock() }
        while consumed == lines.count {
            if closed { return nil }
            guard condition.wait(until: end) else {
                throw TestProcess.Timeout(description: "no line on \(name) within \(deadline)")
            }
        }
        let line = lines[consumed]
        consumed += 1
        if consumed > 1_024 {
            lines.removeFirst(consumed)
            consumed = 0
        }
        return String(decoding: line.bytes, as: UTF8.self)
    }

    func waitUntilClosed(timeout: Duration) {
        let end = Date(timeIntervalSinceNow: timeout.timeInterval)
        condition.lock()
        defer { condition.unlock() }
        while !closed {
            guard condition.wait(until: end) else { return }
        }
    }

    /// Every byte not yet read as a line, once the stream ended.
    func readToEnd(within deadline: Duration) throws(TestProcess.Timeout) -> String {
        let end = Date(timeIntervalSinceNow: deadline.timeInterval)
        condition.lock()
        defer { condition.unlock() }
        while !closed {
            guard condition.wait(until: end) else {
                throw TestProcess.Timeout(description: "\(name) still open after \(deadline)")
            }
        }
        let rest = lines[consumed...].flatMap(\.original)
        consumed = lines.count
        return String(decoding: rest, as: UTF8.self)
    }
}
