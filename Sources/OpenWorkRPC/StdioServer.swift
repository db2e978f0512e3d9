import CSystemShims
import Foundation
import OpenWorkJSON
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Serves a ``Dispatcher`` over line-delimited JSON-RPC on two file descriptors (stdin and stdout by default).
///
/// One JSON text per line; requests run concurrently and their answers go through a single writer, so lines
/// never interleave. At end of input, requests still running get ``Configuration/drainTimeout`` to finish and
/// are then cancelled (answered `-32800`). When the output is closed (EPIPE) the session ends quietly.
///
/// Memory: a line of megabytes is dropped as soon as it is parsed, and once no such line is in flight the
/// allocator's free lists are returned to the system (``LargeLineMemory``), so a burst of long lines does not
/// leave the process tens of megabytes larger for the rest of the session.
public enum StdioServer {
    public struct Configuration: Sendable {
        /// Longest accepted line; a longer one is answered with `-32600` (`kind: line_too_long`).
        public var maximumLineBytes = 16 << 20
        /// How long requests still running at end of input may take before they are cancelled.
        public var drainTimeout: Duration = .seconds(5)
        /// Requests handled at once; reading pauses while this many are running.
        public var maximumConcurrentRequests = 512
        /// Lines at least this long give their memory back to the system once handled (glibc `malloc_trim`).
        public var largeLineBytes = 1 << 20
        public var inputDescriptor: Int32 = 0
        public var outputDescriptor: Int32 = 1

        public init() {}
    }

    /// Why a session ended.
    public enum Ending: Sendable, Hashable {
        case endOfInput
        case outputClosed
    }

    /// Runs the session until end of input or a closed output.
    public static func serve(_ dispatcher: Dispatcher, configuration: Configuration = .init()) async -> Ending {
        _ = signal(SIGPIPE, SIG_IGN)
        let (events, continuation) = AsyncStream<LineFramer.Event>.makeStream()
        let writer = OutputWriter(descriptor: configuration.outputDescriptor) { continuation.finish() }
        let reader = InputReader(
            descriptor: configuration.inputDescriptor,
            maximumLineBytes: configuration.maximumLineBytes,
            continuation: continuation
        )
        reader.start()
        let session = RPCSession { message in
            dispatcher.trace?.notification(message)
            if let bytes = try? message.serializedBytes() { writer.send(bytes) }
        }
        defer { session.close() }
        let memory = LargeLineMemory()
        await withTaskGroup(of: Bool.self) { group in
            var running = 0
            for await event in events {
                reader.accepted()
                switch event {
                case .oversized(let limit):
                    let error = RPCError.invalidRequest("line longer than \(limit) bytes", kind: "line_too_long")
                    writer.send(Dispatcher.serialize(.error(error)))
                    memory.begin()
                    memory.end()
                case .line(let line):
                    if running >= configuration.maximumConcurrentRequests {
                        _ = await group.next()
                        running -= 1
                    }
                    running += 1
                    let large = line.count >= configuration.largeLineBytes
                    if large { memory.begin() }
                    let pending = PendingLine(line)
                    group.addTask {
                        // `take()` leaves the task holding no copy, so the bytes are freed once parsed and answered.
                        if let answer = await dispatcher.handle(text: pending.take(), session: session) {
                            writer.send(answer)
                        }
                        if large { memory.end() }
                        return false
                    }
                }
            }
            reader.stop()
            if writer.isClosed || running == 0 {
                group.cancelAll()
                return
            }
            group.addTask {
                try? await Task.sleep(for: configuration.drainTimeout)
                return true
            }
            while running > 0, let isTimer = await group.next() {
                if isTimer {
                    group.cancelAll()
                } else {
                    running -= 1
                }
            }
            group.cancelAll()
        }
        session.close()
        writer.finish(within: .seconds(5))
        return writer.isClosed ? .outputClosed : .endOfInput
    }
}

/// Reads the input on its own thread and hands framed lines to the session, at most a few ahead of it.
///
/// Its read loop is not OpenWorkSystem's `LineReader`: this module sits below OpenWorkSystem and must not
/// depend on it (and the credits that pause reading are this reader's own).
private final class InputReader: @unchecked Sendable {
    private let descriptor: Int32
    private let continuation: AsyncStream<LineFramer.Event>.Continuation
    private let credits = Credits(64)
    private var framer: LineFramer
    private let stopped = Atomic<Bool>(false)

    init(descriptor: Int32, maximumLineBytes: Int, continuation: AsyncStream<LineFramer.Event>.Continuation) {
        self.descriptor = descriptor
        self.framer = LineFramer(maximumLineBytes: maximumLineBytes)
        self.continuation = continuation
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "openwork.stdio.reader"
        thread.start()
    }

    /// The session took one event; the reader may deliver another.
    func accepted() { credits.give() }

    func stop() {
        stopped.store(true, ordering: .releasing)
        credits.give()
    }

    private func run() {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while !stopped.load(ordering: .acquiring) {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                deliver(framer.finish())
                continuation.finish()
                return
            }
            let events = chunk.withUnsafeBytes { framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            deliver(events)
        }
    }

    private func deliver(_ events: [LineFramer.Event]) {
        for event in events {
            credits.take()
            if stopped.load(ordering: .acquiring) { return }
            continuation.yield(event)
        }
    }
}

/// Writes answers from one thread, coalescing whatever queued up while the previous write ran.
private final class OutputWriter: @unchecked Sendable {
    private let descriptor: Int32
    private let condition = NSCondition()
    private var queued: [UInt8] = []
    private var closed = false
    private var finishing = false
    private var done = false
    private let onClosed: @Sendable () -> Void

    init(descriptor: Int32, onClosed: @escaping @Sendable () -> Void) {
        self.descriptor = descriptor
        self.onClosed = onClosed
        let thread = Thread { [self] in run() }
        thread.name = "openwork.stdio.writer"
        thread.start()
    }

    var isClosed: Bool { condition.withLock { closed } }

    /// Queues one line (the newline is added here).
    func send(_ line: [UInt8]) {
        condition.withLock {
            guard !closed else { return }
            queued.append(contentsOf: line)
            queued.append(10)
            condition.signal()
        }
    }

    /// Writes what is queued and stops the thread, waiting at most `deadline`.
    func finish(within deadline: Duration) {
        let end = Date().addingTimeInterval(Double(deadline.components.seconds))
        condition.lock()
        finishing = true
        condition.broadcast()
        while !done && !closed {
            guard condition.wait(until: end) else { break }
        }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queued.isEmpty && !finishing { condition.wait() }
            if queued.isEmpty {
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = queued
            // Keep a small buffer for the next answers, never one a large answer grew.
            queued.removeAll(keepingCapacity: queued.capacity <= 1 << 16)
            condition.unlock()
            if !writeAll(batch) {
                condition.withLock {
                    closed = true
                    queued = []
                    condition.broadcast()
                }
                onClosed()
                return
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                guard let base = buffer.baseAddress else { return true }
                let written = write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}

/// One line handed from the session to the task that handles it, held only until the task takes it.
private final class PendingLine: Sendable {
    private let bytes: Mutex<[UInt8]>

    init(_ bytes: [UInt8]) { self.bytes = Mutex(bytes) }

    func take() -> [UInt8] {
        bytes.withLock { stored in
            var taken: [UInt8] = []
            swap(&taken, &stored)
            return taken
        }
    }
}

/// Returns freed memory to the system after large lines.
///
/// glibc keeps freed blocks of a few megabytes in its arenas (its mmap threshold grows to the largest block
/// freed), so after a burst of long lines the process would stay that much larger. Once the last large line in
/// flight is done, ``end()`` asks the allocator to give its free memory back (`malloc_trim(0)`).
private final class LargeLineMemory: Sendable {
    private let inFlight = Mutex(0)

    func begin() { inFlight.withLock { $0 += 1 } }

    func end() {
        let last = inFlight.withLock { count in
            count -= 1
            return count == 0
        }
        if last { _ = openwork_release_free_memory() }
    }
}

/// A counting gate: ``take()`` blocks while no credit is left, ``give()`` returns one.
private final class Credits: @unchecked Sendable {
    private let condition = NSCondition()
    private var available: Int

    init(_ count: Int) { available = count }

    func take() {
        condition.withLock {
            while available <= 0 { condition.wait() }
            available -= 1
        }
    }

    func give() {
        condition.withLock {
            available += 1
            condition.signal()
        }
    }
}
