public import OpenWorkLogging

/// The newest log records, at most ``capacity`` of them: a ring, so a flood of lines costs no copying.
/// Each record has a sequence number that only grows, so a view can keep its place while old records drop out.
public struct LogBuffer: Sendable {
    public let capacity: Int
    private var storage: [LogLine] = []
    /// Where the oldest record is in `storage` once it is full.
    private var head = 0
    /// Records appended since the start (the sequence number of the next one).
    public private(set) var appended = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        storage.reserveCapacity(self.capacity)
    }

    public var count: Int { storage.count }

    /// The sequence number of the oldest record kept.
    public var firstSequence: Int { appended - storage.count }

    public mutating func append(_ line: LogLine) {
        appended += 1
        if storage.count < capacity {
            storage.append(line)
        } else {
            storage[head] = line
            head = (head + 1) % capacity
        }
    }

    /// The `index`-th oldest record kept (0 = the oldest).
    public subscript(index: Int) -> LogLine { storage[(head + index) % storage.count] }

    /// The records kept, oldest first, with their sequence numbers.
    public func enumerated() -> some Sequence<(sequence: Int, line: LogLine)> {
        let first = firstSequence
        return (0..<storage.count).lazy.map { (first + $0, self[$0]) }
    }
}
