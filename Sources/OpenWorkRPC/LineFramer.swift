/// Splits a byte stream into lines: LF-terminated, a trailing CR dropped, blank lines skipped, and no line
/// longer than a limit ever held in memory.
///
/// Pure and synchronous: it does no I/O, so the framing rules are tested by feeding it bytes.
public struct LineFramer: Sendable {
    public enum Event: Sendable, Hashable {
        /// A complete, non-blank line without its terminator.
        case line([UInt8])
        /// A line grew past the limit; its bytes are being discarded up to the next newline.
        case oversized(limit: Int)
    }

    public let maximumLineBytes: Int
    private var pending: [UInt8] = []
    private var discarding = false

    public init(maximumLineBytes: Int) {
        precondition(maximumLineBytes > 0)
        self.maximumLineBytes = maximumLineBytes
    }

    /// Feeds a chunk and returns the events it completes.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) -> [Event] {
        var events: [Event] = []
        var start = 0
        let bytes = chunk.bindMemory(to: UInt8.self)
        while start < bytes.count {
            let rest = UnsafeBufferPointer(rebasing: bytes[start...])
            guard let newline = rest.firstIndex(of: 10) else {
                append(rest, into: &events)
                break
            }
            append(UnsafeBufferPointer(rebasing: rest[..<newline]), into: &events)
            finishLine(into: &events)
            start += newline + 1
        }
        return events
    }

    /// Feeds a chunk given as an array (convenient in tests).
    public mutating func feed(_ chunk: [UInt8]) -> [Event] {
        chunk.withUnsafeBytes { feed($0) }
    }

    /// Ends the stream: an unterminated last line still counts.
    public mutating func finish() -> [Event] {
        var events: [Event] = []
        finishLine(into: &events)
        return events
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, into events: inout [Event]) {
        guard !discarding else { return }
        if pending.count + bytes.count > maximumLineBytes + 1 {
            // One extra byte is allowed for a CR that the LF will strip.
            pending.removeAll(keepingCapacity: false)
            discarding = true
            events.append(.oversized(limit: maximumLineBytes))
            return
        }
        pending.append(contentsOf: bytes)
    }

    private mutating func finishLine(into events: inout [Event]) {
        defer {
            pending.removeAll(keepingCapacity: pending.count <= 65_536)
            discarding = false
        }
        guard !discarding else { return }
        if pending.last == 13 { pending.removeLast() }
        guard pending.count <= maximumLineBytes else {
            events.append(.oversized(limit: maximumLineBytes))
            return
        }
        guard pending.contains(where: { $0 != 32 && $0 != 9 && $0 != 13 }) else { return }
        events.append(.line(pending))
    }
}
