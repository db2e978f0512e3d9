import CSystemShims
public import Foundation
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process for tests: its own process group, piped stdin/stdout/stderr, reads with deadlines, and a
/// stop that sends SIGTERM (+SIGCONT) to the group, waits out a grace period and then sends SIGKILL.
///
/// Output is drained continuously by two threads, so a chatty child never blocks on a full pipe. The child
/// is stopped when this object is released, so a failing test cannot leave it behind.
public final class TestProcess: @unchecked Sendable {
    /// How a process ended: an exit code or a signal.
    public struct Exit: Sendable, Hashable, CustomStringConvertible {
        public var code: Int32?
        public var signal: Int32?
        public var description: String { code.map { "exit \($0)" } ?? "signal \(signal ?? -1)" }

        public init(code: Int32?, signal: Int32?) {
            self.code = code
            self.signal = signal
        }
    }

    public struct Timeout: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public let pid: Int32
    public let executable: String
    private var stdinFD: Int32
    private let stdout: StreamBuffer
    private let stderr: StreamBuffer
    private let lock = NSLock()
    private var exit: Exit?

    /// Starts `executable` with `arguments`, in a new process group.
    ///
    /// - Parameter environment: the child's whole environment (defaults to this process's).
    public init(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String? = nil
    ) throws {
        Self.ignoreSIGPIPE
        let spawned = try ProcessSpawner.spawn(
            executable: executable, arguments: arguments, environment: environment,
            workingDirectory: workingDirectory, pipeInput: true)
        let child = spawned.pid
        self.pid = child
        self.executable = executable
        self.stdinFD = spawned.input ?? -1
        self.stdout = StreamBuffer(fd: spawned.output ?? -1, name: "stdout")
        self.stderr = StreamBuffer(fd: spawned.errors ?? -1, name: "stderr")
    }

    deinit {
        // Last resort for a test that did not stop its child: a polite stop first (a supervisor under test
        // must get the chance to stop its own children), then SIGKILL to the whole group.
        if stdinFD >= 0 { close(stdinFD) }
        _ = blockingStop(grace: .seconds(3))
    }

    // MARK: Input

    /// Writes all bytes to the child's stdin, blocking until the pipe takes them.
    public func write(_ bytes: some Collection<UInt8>) async throws {
        let bytes = Array(bytes)
        try await offload { try self.blockingWrite(bytes) }
    }

    private func blockingWrite(_ bytes: [UInt8]) throws {
        let fd = lock.withLock { stdinFD }
        guard fd >= 0 else { throw POSIXError(.EBADF) }
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                offset += written
            }
        }
    }

    /// Writes `text` followed by a newline.
    public func writeLine(_ text: String) async throws { try await write(Array(text.utf8) + [10]) }

    /// Closes the child's stdin (it reads EOF).
    public func closeInput() {
        lock.withLock {
            if stdinFD >= 0 { close(stdinFD) }
            stdinFD = -1
        }
    }

    // MARK: Output

    /// The next stdout line without its newline, or `nil` at end of file.
    ///
    /// - Throws: ``Timeout`` when no whole line arrives within `deadline`.
    public func readLine(within deadline: Duration = .seconds(60)) async throws -> String? {
        try await offload { try self.stdout.readLine(within: deadline) }
    }

    /// The next `count` stdout lines (fewer only at end of file), read in one go.
    public func readLines(_ count: Int, within deadline: Duration = .seconds(30)) async throws -> [String] {
        try await offload {
            var lines: [String] = []
            lines.reserveCapacity(count)
            while lines.count < count, let line = try self.stdout.readLine(within: deadline) { lines.append(line) }
            return lines
        }
    }

    /// The next stderr line, or `nil` at end of file.
    public func readErrorLine(within deadline: Duration = .seconds(60)) async throws -> String? {
        try await offload { try self.stderr.readLine(within: deadline) }
    }

    /// Everything read from stdout that no `readLine` has consumed, waiting for end of file up to `deadline`.
    public func readRemainingOutput(within deadline: Duration = .seconds(60)) async throws -> String {
        try await offload { try self.stdout.readToEnd(within: deadline) }
    }

    /// Everything the child wrote to stderr so far. Once the child has exited, this first waits (at most a
    /// second) for stderr to reach end of file: the exit is often seen before the reader thread has drained
    /// the pipe, and a test reading stderr after the exit must see all of it.
    public var errorOutput: String {
        if hasExited { stderr.waitUntilClosed(timeout: 1) }
        return stderr.everything
    }

    // MARK: Lifetime

    /// Sends `signal` to the child's whole process group.
    public func signalGroup(_ signal: Int32) {
        if !hasExited { kill(-pid, signal) }
    }

    /// Sends `signal` to the child process only.
    public func signal(_ signal: Int32) {
        if !hasExited { kill(pid, signal) }
    }

    /// Whether the child has been reaped.
    public var hasExited: Bool { poll() != nil }

    /// Waits for the child to exit.
    ///
    /// - Throws: ``Timeout`` when it is still running at the deadline.
    @discardableResult
    public func waitForExit(within deadline: Duration = .seconds(60)) async throws -> Exit {
        try await offload { try self.blockingWaitForExit(within: deadline) }
    }

    private func blockingWaitForExit(within deadline: Duration) throws -> Exit {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if let exit = poll() { return exit }
            usleep(2_000)
        }
        if let exit = poll() { return exit }
        throw Timeout(description: "\(executable) (pid \(pid)) still running after \(deadline)")
    }

    /// SIGTERM and SIGCONT to the group, up to `grace` to exit, then SIGKILL to the group.
    @discardableResult
    public func stop(grace: Duration = .seconds(2)) async -> Exit {
        (try? await offload { self.blockingStop(grace: grace) }) ?? Exit(code: nil, signal: SIGKILL)
    }

    private func blockingStop(grace: Duration) -> Exit {
        if let exit = poll() {
            kill(-pid, SIGKILL)  // grandchildren left in the group
            return exit
        }
        kill(-pid, SIGTERM)
        kill(-pid, SIGCONT)
        if let exit = try? blockingWaitForExit(within: grace) {
            kill(-pid, SIGKILL)
            return exit
        }
        kill(-pid, SIGKILL)
        return (try? blockingWaitForExit(within: .seconds(10))) ?? Exit(code: nil, signal: SIGKILL)
    }

    /// The child's resident set size in bytes (Linux), or `nil` when it cannot be read.
    public func residentMemoryBytes() -> Int? { ProcessIdentity.residentKiB(of: pid).map { $0 * 1024 } }

    private func poll() -> Exit? {
        lock.withLock {
            if let exit { return exit }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            guard result == pid else { return nil }
            let code = openwork_wait_exit_code(status)
            let signal = openwork_wait_signal(status)
            exit = Exit(code: code >= 0 ? code : nil, signal: signal >= 0 ? signal : nil)
            return exit
        }
    }

    /// Runs a blocking call on its own thread, so waiting never occupies one of the few threads of Swift's
    /// cooperative pool (two on a 2-core machine).
    private func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }

    private static let ignoreSIGPIPE: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()
}

/// Bytes read from one pipe by a background thread, handed out a line at a time.
private final class StreamBuffer: @unchecked Sendable {
    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var consumed = 0
    private var closed = false
    private var all: [UInt8] = []
    private let name: String

    init(fd: Int32, name: String) {
        self.name = name
        let thread = Thread { [self] in self.drain(fd) }
        thread.name = "TestProcess.\(name)"
        thread.start()
    }

    private func drain(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            condition.lock()
            if count <= 0 {
                closed = true
            } else {
                bytes.append(contentsOf: chunk[0..<count])
                if all.count < 1 << 20 { all.append(contentsOf: chunk[0..<count]) }
            }
            condition.broadcast()
            condition.unlock()
            if count <= 0 { break }
        }
        close(fd)
    }

    var everything: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: all, as: UTF8.self)
    }

    func readLine(within deadline: Duration) throws -> String? {
        let end = Date().addingTimeInterval(
            Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let newline = bytes[consumed...].firstIndex(of: 10) {
                let line = bytes[consumed..<newline]
                consumed = newline + 1
                if consumed > 1 << 20 {
                    bytes.removeFirst(consumed)
                    consumed = 0
                }
                return String(decoding: line, as: UTF8.self)
            }
            if closed {
                guard consumed < bytes.count else { return nil }
                let rest = bytes[consumed...]
                consumed = bytes.count
                return String(decoding: rest, as: UTF8.self)
            }
            guard condition.wait(until: end) else {
                throw TestProcess.Timeout(description: "no line on \(name) within \(deadline)")
            }
        }
    }

    func waitUntilClosed(timeout seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !closed {
            guard condition.wait(until: end) else { return }
        }
    }

    func readToEnd(within deadline: Duration) throws -> String {
        let end = Date().addingTimeInterval(
            Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while !closed {
            guard condition.wait(until: end) else {
                throw TestProcess.Timeout(description: "\(name) still open after \(deadline)")
            }
        }
        let rest = bytes[consumed...]
        consumed = bytes.count
        return String(decoding: rest, as: UTF8.self)
    }
}
