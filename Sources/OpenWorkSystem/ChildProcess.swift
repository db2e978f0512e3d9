import CSystemShims
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A supervised child: spawned in its own process group with an explicit argv and environment (never
/// through a shell), its stdout and stderr read line by line into bounded buffers, reaped by a waiter thread.
///
/// It does not restart anything or decide anything; ``Supervisor`` does. Stopping signals the whole group,
/// so grandchildren die with the child. It does not stop the child when released.
public final class ChildProcess: Sendable {
    public let pid: Int32
    /// The child's start time in clock ticks since boot (Linux), which with the pid identifies the process
    /// even after its pid is reused.
    public let startTicks: UInt64?
    public let executable: String
    let output: LineBuffer
    let errors: LineBuffer
    let input: InputPipe
    private let exitState: ExitState

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
        /// The errno of the failure, when there is one (`ENOENT`: no such file, `EACCES`: not executable).
        public var errorNumber: Int32?
    }

    /// Where the child's stdin comes from.
    public enum Input: Sendable, Hashable {
        /// `/dev/null`: the child reads end of file at once.
        case null
        /// A pipe written with ``write(_:)`` and closed with ``closeInput()``.
        case pipe
    }

    /// stdout or stderr.
    public enum StandardStream: Sendable, Hashable {
        case standardOutput
        case standardError
    }

    /// Receives every line the child writes, whole and as read, then the end of each stream, from the reader
    /// threads (see ``LineReader``).
    public typealias OutputSink = @Sendable (StandardStream, LineReader.Event) -> Void

    /// Starts `executable` with `arguments` and exactly `environment`.
    ///
    /// The buffers behind ``recentOutput()``, ``outputLines`` and `onLine` keep lines of at most 4 KiB (a longer
    /// line is cut) and at most `keepLines` of them. `onOutput` sees every line whole; with it, no line is cut
    /// before it reaches the sink, so memory is the sink's to bound.
    ///
    /// - Important: On Linux, with the default `lifetime`, the child cannot outlive this process: it is spawned by
    ///   its reaper thread, which lives until the child is reaped, with
    ///   ``ProcessSpawner/Lifetime/endsWithSpawningThread``. If this process dies, however it dies, the kernel
    ///   kills the child and a guard kills the rest of its group. With ``ProcessSpawner/Lifetime/independent``
    ///   the child and its group outlive their leader and this process.
    public init(
        executable: String,
        arguments: [String],
        environment: [String: String],
        workingDirectory: String? = nil,
        input: Input = .null,
        lifetime: ProcessSpawner.Lifetime = .endsWithSpawningThread,
        keepLines: Int = 200,
        onLine: (@Sendable (String) -> Void)? = nil,
        onOutput: OutputSink? = nil
    ) throws(SpawnError) {
        let exitState = ExitState()
        let handoff = SpawnHandoff()
        let thread = Thread {
            let spawned: ProcessSpawner.Spawned
            do throws(ProcessSpawner.Failure) {
                spawned = try ProcessSpawner.spawn(
                    executable: executable, arguments: arguments, environment: environment,
                    workingDirectory: workingDirectory, pipeInput: input == .pipe, lifetime: lifetime)
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
        self.input = InputPipe(descriptor: spawned.input)
        self.output = LineBuffer(keep: keepLines, onLine: onLine)
        self.errors = LineBuffer(keep: keepLines, onLine: onLine)
        // Without a sink that keeps whole lines, a child writing without newlines must not grow memory unbounded.
        let maximumLength = onOutput == nil ? 65_536 : nil
        for (stream, descriptor, buffer) in [
            (StandardStream.standardOutput, output, self.output), (.standardError, errors, self.errors),
        ] {
            LineReader.readLines(
                from: descriptor, name: "openwork.child.\(stream == .standardOutput ? "stdout" : "stderr")",
                maximumLength: maximumLength
            ) { event in
                if case .end = event { close(descriptor) }
                buffer.receive(event)
                onOutput?(stream, event)
            }
        }
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

    /// SIGTERM and SIGCONT to the group, up to `grace` to exit, then SIGKILL to the group. Cancelling the
    /// calling task cuts the grace short.
    ///
    /// - Returns: how the child ended.
    @discardableResult
    public func stop(grace: Duration) async -> Exit {
        let cancelled = Atomic(false)
        return await withTaskCancellationHandler {
            await DedicatedThread.run(name: "openwork.stop") {
                self.stopBlocking(grace: grace) { cancelled.load(ordering: .acquiring) }
            }
        } onCancel: {
            cancelled.store(true, ordering: .releasing)
            self.exitState.interruptWaits()
        }
    }

    /// ``stop(grace:)`` on the calling thread, which it blocks until the child has been reaped.
    ///
    /// - Important: for a `deinit` or a thread of the caller's own; async code calls ``stop(grace:)``.
    @discardableResult
    public func stopBlocking(grace: Duration) -> Exit { stopBlocking(grace: grace) { false } }

    private func stopBlocking(grace: Duration, cutShort: () -> Bool) -> Exit {
        if let exit {
            kill(-pid, SIGKILL)  // anything the child left behind in its group
            return exit
        }
        kill(-pid, SIGTERM)
        kill(-pid, SIGCONT)
        let exit = exitState.wait(until: .now + grace, unless: cutShort)
        kill(-pid, SIGKILL)
        if let exit { return exit }
        // SIGKILL cannot be ignored; the reaper reports the exit within moments.
        while true {
            if let exit = exitState.wait(until: .now + .seconds(1)) { return exit }
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
