import Foundation
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A terminal a test can look at and type into: a detached tmux session of a fixed size on a tmux server of its
/// own (its own socket), running one shell command. The server is killed on ``stop()`` (and on release).
final class TmuxSession: @unchecked Sendable {
    /// tmux's path, when installed.
    static let executable = Executable.onPath("tmux", environment: ProcessInfo.processInfo.environment)
    /// Whether the end-to-end tests run: tmux is there, or we are in CI (where its absence is a failure).
    static let enabled = executable != nil || !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty

    let socket: String
    /// The tmux server's pid: SIGTERM to it ends the session (its panes get SIGHUP).
    private(set) var serverPid: Int32 = 0

    /// Starts `command` (run by `sh -c`) in a `width`×`height` window with `environment` added.
    static func start(
        _ command: String, width: Int, height: Int, environment: [String: String], in directory: String
    ) async throws -> TmuxSession {
        guard executable != nil else {
            throw TmuxError("tmux is not installed: apt-get install -y tmux (.ci/run installs it)")
        }
        let session = TmuxSession(socket: directory + "/tmux.sock")
        let exports = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\(quoted($0.value))" }
        try await session.run([
            "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", String(width), "-y", String(height),
            "env " + exports.joined(separator: " ") + " sh -c " + quoted(command),
        ])
        session.serverPid =
            Int32(
                try await session.run(["display-message", "-p", "#{pid}"]).trimmingCharacters(
                    in: .whitespacesAndNewlines)) ?? 0
        // Applications may set tmux's clipboard (a paste buffer) with OSC 52; a pane stays to be read once its
        // command has ended.
        try await session.run(["set-option", "-g", "set-clipboard", "on"])
        try await session.run(["set-option", "-g", "remain-on-exit", "on"])
        return session
    }

    private init(socket: String) {
        self.socket = socket
    }

    deinit { stop() }

    /// The pane as a person sees it: one line per row, trailing spaces trimmed.
    func screen() async throws -> String { try await run(["capture-pane", "-p", "-t", "t"]) }

    /// Everything the pane showed since it started (its history too): what a command printed once the
    /// dashboard gave the terminal back.
    func transcript() async throws -> String { try await run(["capture-pane", "-p", "-S", "-", "-t", "t"]) }

    /// Waits (polling, up to `deadline`) until the screen (with `history`, the transcript) satisfies
    /// `condition`; returns it, or throws with the last one.
    @discardableResult
    func waitFor(
        _ what: String, deadline: Duration = .seconds(60), history: Bool = false, _ condition: (String) -> Bool
    ) async throws -> String {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        var last = ""
        while clock.now < end {
            last = history ? try await transcript() : try await screen()
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TmuxError("waited \(deadline) for \(what); the screen was:\n\(last)")
    }

    /// Types keys (tmux key names: `q`, `C-c`, `PageUp`, `Up`…; `-l` then text types it literally).
    func send(_ keys: String...) async throws { try await run(["send-keys", "-t", "t"] + keys) }

    func resize(width: Int, height: Int) async throws {
        try await run(["resize-window", "-t", "t", "-x", String(width), "-y", String(height)])
    }

    /// The newest paste buffer (what OSC 52 put there), or nil when there is none.
    func clipboard() async -> String? { try? await run(["show-buffer"]) }

    /// Ends the tmux server (the command in the pane gets SIGHUP). Idempotent.
    func stop() {
        if serverPid > 0 { kill(serverPid, SIGTERM) }
        serverPid = 0
    }

    @discardableResult
    private func run(_ arguments: [String]) async throws -> String {
        // Spawned on a thread of its own: a spawn waits for fork and exec, which must not hold one of the few
        // threads every other test of this process runs on (the screen is polled several times a second).
        let executable = Self.executable ?? "/usr/bin/tmux"
        let socket = socket
        let process = try await DedicatedThread.run(name: "tmux") {
            try TestProcess(executable, ["-S", socket] + arguments)
        }
        process.closeInput()
        let exit = try await process.waitForExit(within: .seconds(30))
        let output = try await process.readRemainingOutput(within: .seconds(10))
        guard exit == .exited(0) else {
            throw TmuxError(
                "tmux \(arguments.joined(separator: " ")) failed (\(exit)): \(output)\(process.errorOutput)")
        }
        return output
    }

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

struct TmuxError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
