import CSystemShims
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A supervised child: spawned in its own process group with an explicit argv and environment (never
/// through a shell), its stdout and stderr read line by line into bounded buffers, reaped by a waiter thread.
///
/// It does not restart anything or decide anything; ``Supervisor`` does. Stopping signals the whole group,
/// so grandchildren die with the child.
public final class ChildProcess: Sendable {
    public let pid: Int32
    /// The child's start time in clock ticks since boot (Linux), which with the pid identifies the process
    /// even after its pid is reused.
    public let startTicks: UInt64?
    public let executable: String
    private let output: LineBuffer
    private let errors: LineBuffer
    private let exitState: ExitState

    /// How a child ended.
    public enum Exit: Sendable, Hashable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exit \(code)"
            case .signaled(let signal): "signal \(signal)"
            }
        }

        public var json: [String: Int64] {
            switch self {
            case .exited(let code): ["code": Int64(code)]
            case .signaled(let signal): ["signal": Int64(signal)]
            }
        }
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
        /// The errno of the failure, when there is one (`ENOENT`: no such file, `EACCES`: not executable).
        public var errorNumber: Int32?
    }

    /// Starts `executable` with `arguments` and exactly `environment`.
    ///
    /// - Important: On Linux the child cannot outlive this process: it is spawned by its reaper thread, which
    ///   lives until the child is reaped, with ``ProcessSpawner/Lifetime/endsWithSpawningThread``. If this
    ///   process dies, however it dies, the kernel kills the child and a guard kills the rest of its group.
    public init(
        executable: String,
        arguments: [String],
        environment: [String: String],
        workingDirectory: String? = nil,
        keepLines: Int = 200,
        onLine: (@Sendable (String) -> Void)? = nil
    ) throws(SpawnError) {
        let exitState = ExitState()
        let handoff = SpawnHandoff()
        let thread = Thread {
            let spawned: ProcessSpawner.Spawned
            do throws(ProcessSpawner.Failure) {
                spawned = try ProcessSpawner.spawn(
                    executable: executable, arguments: arguments, environment: environment,
                    workingDirectory: workingDirectory, lifetime: .endsWithSpawningThread)
            } catch {
                handoff.put(.failure(SpawnError(description: error.description, errorNumber: error.errorNumber)))
                return
            }
            handoff.put(.success(spawned))
            // This thread is the child's parent thread: it must not end before the child (see above).
            var status: Int32 = 0
            while waitpid(spawned.pid, &status, 0) < 0 && errno == EINTR {}
            let code = openwork_wait_exit_code(status)
            exitState.finish(code >= 0 ? .exited(code) : .signaled(openwork_wait_signal(status)))
        }
        thread.name = "openwork.reaper"
        thread.start()
        let spawned = try handoff.take().get()
        guard let output = spawned.output, let errors = spawned.errors else {
            preconditionFailure("pipes were asked for")
        }
        let child = spawned.pid
        self.exitState = exitState
        self.pid = child
        self.executable = executable
        self.startTicks = ProcessIdentity.startTicks(of: child)
        self.output = LineBuffer(descriptor: output, keep: keepLines, name: "stdout", onLine: onLine)
        self.errors = LineBuffer(descriptor: errors, keep: keepLines, name: "stderr", onLine: onLine)
    }

    /// Lines the child wrote to stdout, as they arrive, from the first; ends at end of file.
    public var outputLines: AsyncStream<String> { output.stream() }

    /// Waits (at most `timeout`) until stdout and stderr reached end of file, so their last lines are in the
    /// buffers. A grandchild that keeps a pipe open can hold it open forever, hence the bound.
    public func waitForOutputEnd(timeout: Duration) async {
        let end = ContinuousClock.now + timeout
        while !(output.isClosed && errors.isClosed) && ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// The last lines of stdout and stderr (at most the number kept).
    public func recentOutput() -> [String] { output.recent() }
    public func recentErrors() -> [String] { errors.recent() }

    /// The exit, once the child has been reaped.
    public var exit: Exit? { exitState.value }

    /// Waits for the child to be reaped; `nil` only when the waiting task is cancelled.
    public func waitForExit() async -> Exit? { await exitState.wait() }

    /// Waits for the child to be reaped, up to `timeout`; `nil` when it is still running.
    public func waitForExit(timeout: Duration) async -> Exit? {
        await withTaskGroup(of: Exit?.self) { group in
            group.addTask { await self.waitForExit() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? exit
        }
    }

    /// SIGTERM and SIGCONT to the group, up to `grace` to exit, then SIGKILL to the group.
    ///
    /// - Returns: how the child ended.
    @discardableResult
    public func stop(grace: Duration) async -> Exit {
        if let exit {
            kill(-pid, SIGKILL)  // anything the child left behind in its group
            return exit
        }
        kill(-pid, SIGTERM)
        kill(-pid, SIGCONT)
        if let exit = await waitForExit(timeout: grace) {
            kill(-pid, SIGKILL)
            return exit
        }
        kill(-pid, SIGKILL)
        // SIGKILL cannot be ignored; the reaper reports the exit within moments.
        while true {
            if let exit = await waitForExit(timeout: .seconds(1)) { return exit }
            kill(-pid, SIGKILL)
        }
    }
}

/// The outcome of a spawn, handed from the reaper thread that made it to the initializer waiting for it.
private final class SpawnHandoff: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private var result: Result<ProcessSpawner.Spawned, ChildProcess.SpawnError>?

    func put(_ result: Result<ProcessSpawner.Spawned, ChildProcess.SpawnError>) {
        self.result = result
        ready.signal()
    }

    func take() -> Result<ProcessSpawner.Spawned, ChildProcess.SpawnError> {
        ready.wait()
        guard let result else { preconditionFailure("signalled after the result was set") }
        return result
    }
}

/// The exit status, set once by the reaper thread and awaited by anyone; a waiting task that is cancelled
/// stops waiting (with `nil`), so a child that never exits cannot hold up a task group.
private final class ExitState: @unchecked Sendable {
    private let lock = NSLock()
    private var exit: ChildProcess.Exit?
    private var waiters: [UUID: CheckedContinuation<ChildProcess.Exit?, Never>] = [:]

    var value: ChildProcess.Exit? { lock.withLock { exit } }

    func finish(_ exit: ChildProcess.Exit) {
        let waiting = lock.withLock {
            self.exit = exit
            defer { waiters = [:] }
            return Array(waiters.values)
        }
        for waiter in waiting { waiter.resume(returning: exit) }
    }

    /// The exit, or `nil` if the waiting task was cancelled first.
    func wait() async -> ChildProcess.Exit? {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ChildProcess.Exit?, Never>) in
                let immediate: ChildProcess.Exit?? = lock.withLock {
                    if let exit { return .some(exit) }
                    if Task.isCancelled { return .some(nil) }
                    waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = lock.withLock { waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}

/// Reads one pipe on its own thread into a bounded list of recent lines and any live streams.
private final class LineBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var all: [String] = []
    private var closed = false
    private var continuations: [AsyncStream<String>.Continuation] = []
    private let keep: Int
    private let onLine: (@Sendable (String) -> Void)?

    init(descriptor: Int32, keep: Int, name: String, onLine: (@Sendable (String) -> Void)?) {
        self.keep = keep
        self.onLine = onLine
        let thread = Thread { [self] in run(descriptor) }
        thread.name = "openwork.child.\(name)"
        thread.start()
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

    private func run(_ descriptor: Int32) {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending.append(contentsOf: chunk[0..<count])
            while let newline = pending.firstIndex(of: 10) {
                var line = pending[..<newline]
                if line.last == 13 { line = line.dropLast() }
                deliver(String(decoding: line.prefix(4_096), as: UTF8.self))
                pending.removeSubrange(...newline)
            }
            if pending.count > 65_536 {
                deliver(String(decoding: pending.prefix(4_096), as: UTF8.self))
                pending.removeAll()
            }
        }
        if !pending.isEmpty { deliver(String(decoding: pending.prefix(4_096), as: UTF8.self)) }
        close(descriptor)
        let finished = lock.withLock {
            closed = true
            defer { continuations = [] }
            return continuations
        }
        for continuation in finished { continuation.finish() }
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
}
