import CSystemShims
import Foundation
import OpenWorkCore
import OpenWorkJSON
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `openwork daemon start|stop`: starts `openwork daemon run` detached and waits until it serves; stops it and
/// waits until it and its opencode are gone.
public enum DaemonLauncher {
    /// What `start` found or made.
    public struct Started: Sendable {
        public var record: DaemonRecord
        public var alreadyRunning: Bool
    }

    /// The exit status of `daemon run` when another engine already owns the data directory.
    public static let lostLockExitCode: Int32 = 3

    /// Returns the running daemon, or starts `executable arguments` (which must be `daemon run …`) in its own
    /// session with output appended to `<data-dir>/logs/daemon.log`, and waits for it to serve.
    ///
    /// Concurrent callers converge: every spawned `daemon run` but one loses the lock and exits
    /// ``lostLockExitCode``; each caller then reports whichever daemon serves.
    ///
    /// - Important: the spawned child never outlives this call unless it is the daemon that serves. A child
    ///   that lost the race, or has not run yet when another daemon already serves, is terminated and reaped
    ///   here; otherwise it could take the data directory over after that daemon stopped.
    public static func start(
        executable: String, arguments: [String], environment: [String: String], dataDirectory: DataDirectory,
        within deadline: Duration = .seconds(10)
    ) async throws(OpenWorkError) -> Started {
        let client = DaemonClient(dataDirectory: dataDirectory)
        if let running = await client.running() { return Started(record: running.record, alreadyRunning: true) }
        let logPath = try dataDirectory.subdirectory("logs") + "/daemon.log"
        // A mark inherited from an opencode this CLI runs under names another engine's data directory: the
        // daemon is not that engine's child (see OwnedProcesses.ownerVariable).
        var environment = environment
        environment[OwnedProcesses.ownerVariable] = nil
        let child = try spawnDetached(executable, arguments, environment: environment, log: logPath)
        let end = ContinuousClock.now + deadline
        var childExit: Int32?
        while ContinuousClock.now < end {
            if let running = await client.running() {
                // Our child serves: it is the daemon now and outlives us. Another daemon serves: ours lost the
                // race (or has not even tried yet, on a slow machine) and must not take over once that one stops.
                let ours = running.record.pid == child
                if childExit == nil {
                    if ours { reapLater(child) } else { await terminate(child) }
                }
                return Started(record: running.record, alreadyRunning: !ours)
            }
            if childExit == nil {
                var status: Int32 = 0
                if waitpid(child, &status, WNOHANG) == child {
                    childExit = openwork_wait_exit_code(status)
                    if childExit != lostLockExitCode { break }
                }
            }
            try? await Task.sleep(for: .milliseconds(25))
        }
        if childExit == nil { await terminate(child) }
        if childExit == lostLockExitCode {
            throw OpenWorkError(
                .dataDirLocked,
                "another openwork engine (not a daemon) owns \(dataDirectory.path); stop it or use another --data-dir",
                details: ["dataDir": .string(dataDirectory.path), "log": .string(logPath)])
        }
        throw OpenWorkError(
            .daemonStartFailed,
            "the daemon did not start within \(deadline) (exit \(childExit.map(String.init) ?? "none yet")); see \(logPath)",
            details: ["log": .string(logPath), "logTail": .array(tail(of: logPath).map(JSONValue.string))])
    }

    /// Asks the running daemon to stop and waits until it and the opencode it supervised are gone.
    public static func stop(dataDirectory: DataDirectory, within deadline: Duration = .seconds(20))
        async throws(OpenWorkError) -> DaemonRecord
    {
        let client = DaemonClient(dataDirectory: dataDirectory)
        let (record, health) = try await client.requireRunning()
        let opencode = health["opencode"]?["pid"]?.int64Value.flatMap { Int32(exactly: $0) }
        let opencodeTicks = opencode.flatMap { ProcessIdentity.startTicks(of: $0) }
        try await client.requestShutdown(record)
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            let opencodeGone =
                opencode.map { pid in opencodeTicks.map { !ProcessIdentity.isAlive(pid: pid, startTicks: $0) } ?? true }
                ?? true
            if !record.isAlive && opencodeGone { return record }
            try? await Task.sleep(for: .milliseconds(20))
        }
        throw OpenWorkError(
            .daemonUnreachable, "the daemon (pid \(record.pid)) did not stop within \(deadline)",
            details: ["pid": .integer(Int64(record.pid))])
    }

    /// The child keeps running after `start` returns; a detached thread reaps it so it never lingers as a
    /// zombie while this process lives.
    private static func reapLater(_ pid: pid_t) {
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// How long a spawned child that does not serve gets between SIGTERM and SIGKILL.
    static let terminationGrace: Duration = .seconds(5)

    /// Stops a child that must not serve and reaps it: SIGTERM to its group (its own session), then SIGKILL
    /// after ``terminationGrace``. Returns once it is gone.
    private static func terminate(_ child: pid_t) async {
        var status: Int32 = 0
        kill(-child, SIGTERM)
        kill(child, SIGTERM)
        let end = ContinuousClock.now + terminationGrace
        while ContinuousClock.now < end {
            let reaped = waitpid(child, &status, WNOHANG)
            if reaped == child || (reaped < 0 && errno == ECHILD) { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(-child, SIGKILL)
        kill(child, SIGKILL)
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    }

    private static func tail(of path: String, lines count: Int = 20) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").suffix(count).map(String.init)
    }

    /// A new session (so its group is its own and no terminal signal reaches it), stdin from /dev/null,
    /// stdout and stderr appended to the log, every other descriptor closed.
    private static func spawnDetached(
        _ executable: String, _ arguments: [String], environment: [String: String], log: String
    ) throws(OpenWorkError) -> pid_t {
        do {
            return try ProcessSpawner.spawn(
                executable: executable, arguments: arguments, environment: environment,
                output: .appending(toFile: log), newSession: true
            ).pid
        } catch {
            throw OpenWorkError(.daemonStartFailed, error.description)
        }
    }
}
