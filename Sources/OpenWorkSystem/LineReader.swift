import Foundation

/// Reads a descriptor to its end (``FileIO/forEachChunk(_:size:_:)``) on a thread of its own and hands what it read to a sink: as the chunks read, or
/// split into lines.
///
/// It does not close the descriptor (the sink's end handler does, when it owns it) and does not decode text: a
/// line is its bytes. Framing rules beyond "split at LF" (blank lines, a limit that discards the rest of a line)
/// belong to the caller, e.g. `LineFramer` fed from ``readChunks(from:name:onChunk:onEnd:)``.
public enum LineReader {
    /// One line as read: its bytes without the LF (a CR before it is kept, see ``text(maximumBytes:)``).
    public struct Line: Sendable, Hashable {
        public var bytes: [UInt8]
        /// Whether an LF ended it; `false` for the last bytes before end of file and for a line cut at the
        /// maximum length.
        public var isTerminated: Bool

        public init(bytes: [UInt8], isTerminated: Bool) {
            self.bytes = bytes
            self.isTerminated = isTerminated
        }

        /// The line as text, without the CR of a CRLF ending, cut after `maximumBytes` bytes.
        public func text(maximumBytes: Int = .max) -> String {
            let content = isTerminated && bytes.last == 13 ? bytes.dropLast() : bytes[...]
            return String(decoding: content.prefix(maximumBytes), as: UTF8.self)
        }

        /// The bytes as they were read, the LF included.
        public var original: [UInt8] { isTerminated ? bytes + [10] : bytes }
    }

    /// What a line reader delivers, in order: every line, then the end.
    public enum Event: Sendable, Hashable {
        case line(Line)
        /// End of file (or a read error): nothing follows.
        case end
    }

    /// Reads `descriptor` on a new thread named `name`, delivering every line and then ``Event/end``.
    ///
    /// - Parameter maximumLength: when more bytes than this arrive without an LF, they are delivered as an
    ///   unterminated line and the rest of the line starts a new one; `nil` keeps a line whole, however long.
    public static func readLines(
        from descriptor: Int32,
        name: String,
        maximumLength: Int? = nil,
        sink: @escaping @Sendable (Event) -> Void
    ) {
        startThread(name: name) {
            var pending: [UInt8] = []
            _ = FileIO.forEachChunk(descriptor) { (raw: UnsafeRawBufferPointer) in
                let chunk = raw.bindMemory(to: UInt8.self)
                var start = chunk.startIndex
                while let newline = chunk[start...].firstIndex(of: 10) {
                    pending.append(contentsOf: chunk[start..<newline])
                    sink(.line(Line(bytes: pending, isTerminated: true)))
                    pending.removeAll(keepingCapacity: pending.count <= 65_536)
                    start = newline + 1
                }
                pending.append(contentsOf: chunk[start...])
                if let maximumLength, pending.count > maximumLength {
                    sink(.line(Line(bytes: pending, isTerminated: false)))
                    pending = []
                }
            }
            if !pending.isEmpty { sink(.line(Line(bytes: pending, isTerminated: false))) }
            sink(.end)
        }
    }

    /// Reads `descriptor` on a new thread named `name`, passing each chunk as read to `onChunk` (valid only during
    /// the call), then calling `onEnd`.
    public static func readChunks(
        from descriptor: Int32,
        name: String,
        onChunk: @escaping @Sendable (UnsafeRawBufferPointer) -> Void,
        onEnd: @escaping @Sendable () -> Void
    ) {
        startThread(name: name) {
            _ = FileIO.forEachChunk(descriptor, onChunk)
            onEnd()
        }
    }

    private static func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }
}
