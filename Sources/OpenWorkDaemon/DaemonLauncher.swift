import CSystemShims
import Foundation
public import OpenWorkCore
import OpenWorkJSON

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
    public static func start(
        executable: String, arguments: [String], environment: [String: String], dataDirectory: DataDirectory,
        within deadline: Duration = .seconds(10)
    ) async throws(OpenWorkError) -> Started {
        let client = DaemonClient(dataDirectory: dataDirectory)
        if let running = await client.running() { return Started(record: running.record, alreadyRunning: true) }
        try dataDirectory.create()
        let logs = dataDirectory.path + "/logs"
        if mkdir(logs, 0o700) != 0 && errno != EEXIST {
            throw OpenWorkError(.dataDirUnusable, "cannot create \(logs): \(String(cString: strerror(errno)))")
        }
        let logPath = logs + "/daemon.log"
        let child = try spawnDetached(executable, arguments, environment: environment, log: logPath)
        let end = ContinuousClock.now + deadline
        var childExit: Int32?
        while ContinuousClock.now < end {
            if let running = await client.running() {
                if childExit == nil { reapLater(child) }
                return Started(record: running.record, alreadyRunning: false)
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
        if childExit == nil { reapLater(child) }
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

    private static func tail(of path: String, lines count: Int = 20) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").suffix(count).map(String.init)
    }

    /// posix_spawn in a new session (so its group is its own and no terminal signal reaches it), stdin from
    /// /dev/null, stdout and stderr appended to the log, every other descriptor closed.
    private static func spawnDetached(
        _ executable: String, _ arguments: [String], environment: [String: String], log: String
    ) throws(OpenWorkError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = openwork_spawn_addclosefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        let setsid: Int32 = 0x80  // POSIX_SPAWN_SETSID (glibc ≥ 2.26), not imported into Swift
        posix_spawnattr_setflags(&attributes, Int16(setsid | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var child: pid_t = 0
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw OpenWorkError(
                .daemonStartFailed, "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return child
    }
}
