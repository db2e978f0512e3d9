public import Foundation
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process for tests: a ``ChildProcess`` with a piped stdin, and stdout and stderr read whole, a line at
/// a time or to the end, with deadlines.
///
/// Output is drained continuously by the child's reader threads, so a chatty child never blocks on a full pipe.
/// The child is stopped (``ChildProcess/stop(grace:)``) when this object is released, so a failing test cannot
/// leave it behind. By default the child is ``ProcessSpawner/Lifetime/independent``: it and its group outlive
/// their leader, as a daemon or an opencode a test starts would outside a test.
public final class TestProcess: Sendable {
    /// How a process ended: ``ChildProcess/Exit/code`` or ``ChildProcess/Exit/signal``.
    public typealias Exit = ChildProcess.Exit

    public struct Timeout: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public let child: ChildProcess
    private let stdout: LineQueue
    private let stderr: LineQueue

    public var pid: Int32 { child.pid }
    public var executable: String { child.executable }

    /// Starts `executable` with `arguments`, in a new process group.
    ///
    /// - Parameter environment: the child's whole environment (defaults to this process's).
    public init(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String? = nil,
        lifetime: ProcessSpawner.Lifetime = .independent
    ) throws {
        Self.ignoreSIGPIPE
        let stdout = LineQueue(name: "stdout")
        let stderr = LineQueue(name: "stderr")
        child = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment,
            workingDirectory: workingDirectory, input: .pipe, lifetime: lifetime,
            onOutput: { stream, event in (stream == .standardOutput ? stdout : stderr).receive(event) })
        self.stdout = stdout
        self.stderr = stderr
    }

    deinit {
        // Last resort for a test that did not stop its child: a polite stop first (a supervisor under test
        // must get the chance to stop its own children), then SIGKILL to the whole group.
        child.closeInput()
        child.stopBlocking(grace: .seconds(3))
    }

    // MARK: Input

    /// Writes all bytes to the child's stdin, blocking until the pipe takes them.
    public func write(_ bytes: some Collection<UInt8>) async throws { try await child.write(bytes) }

    /// Writes `text` followed by a newline.
    public func writeLine(_ text: String) async throws { try await write(Array(text.utf8) + [10]) }

    /// Closes the child's stdin (it reads EOF).
    public func closeInput() { child.closeInput() }

    // MARK: Output

    /// The next stdout line without its newline, or `nil` at end of file.
    ///
    /// - Throws: ``Timeout`` when no whole line arrives within `deadline`.
    public func readLine(within deadline: Duration = .seconds(60)) async throws -> String? {
        try await DedicatedThread.run(name: "TestProcess.read") { try self.stdout.readLine(within: deadline) }
    }

    /// The next `count` stdout lines (fewer only at end of file), read in one go.
    public func readLines(_ count: Int, within deadline: Duration = .seconds(30)) async throws -> [String] {
        try await DedicatedThread.run(name: "TestProcess.read") {
            var lines: [String] = []
            lines.reserveCapacity(count)
            while lines.count < count, let line = try self.stdout.readLine(within: deadline) { lines.append(line) }
            return lines
        }
    }

    /// The next stderr line, or `nil` at end of file.
    public func readErrorLine(within deadline: Duration = .seconds(60)) async throws -> String? {
        try await DedicatedThread.run(name: "TestProcess.read") { try self.stderr.readLine(within: deadline) }
    }

    /// Everything read from stdout that no `readLine` has consumed, waiting for end of file up to `deadline`.
    public func readRemainingOutput(within deadline: Duration = .seconds(60)) async throws -> String {
        try await DedicatedThread.run(name: "TestProcess.read") { try self.stdout.readToEnd(within: deadline) }
    }

    /// Everything the child wrote to stderr so far. Once the child has exited, this first waits (at most a
    /// second) for stderr to reach end of file: the exit is often seen before the reader thread has drained
    /// the pipe, and a test reading stderr after the exit must see all of it.
    public var errorOutput: String {
        if hasExited { stderr.waitUntilClosed(timeout: .seconds(1)) }
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
    public var hasExited: Bool { child.exit != nil }

    /// Waits for the child to exit.
    ///
    /// - Throws: ``Timeout`` when it is still running at the deadline.
    @discardableResult
    public func waitForExit(within deadline: Duration = .seconds(60)) async throws -> Exit {
        guard let exit = await child.waitForExit(timeout: deadline) else {
            throw Timeout(description: "\(executable) (pid \(pid)) still running after \(deadline)")
        }
        return exit
    }

    /// SIGTERM and SIGCONT to the group, up to `grace` to exit, then SIGKILL to the group.
    @discardableResult
    public func stop(grace: Duration = .seconds(2)) async -> Exit { await child.stop(grace: grace) }

    /// The child's resident set size in bytes (Linux), or `nil` when it cannot be read.
    public func residentMemoryBytes() -> Int? { ProcessIdentity.residentKiB(of: pid).map { $0 * 1024 } }

    private static let ignoreSIGPIPE: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()
}
