import Foundation
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `openwork start` against the fakes in a real terminal (tmux), used the way a person uses it: read the screen,
/// press keys, resize the window, kill a service, quit, detach, crash.
@Suite("dashboard: openwork start in a terminal", .serialized, .enabled(if: TmuxSession.enabled))
struct DashboardTerminalTests {
    static let password = "tmux-test-password-0123456789"

    /// A host run in a tmux window: its directories, and what the window shows.
    final class Run: @unchecked Sendable {
        let directory: TemporaryDirectory
        let workspace: String
        let data: String
        let tmux: TmuxSession

        static func start(
            width: Int = 100, height: Int = 30, arguments: [String] = [], environment: [String: String] = [:]
        ) async throws -> Run {
            let directory = try TemporaryDirectory("ow-dash")
            let workspace = try directory.makeDirectories("ws")[0]
            let data = directory.appending("data")
            let openwork = BuiltProducts.path(of: "openwork")
            let argv =
                [
                    openwork, "start", "--data-dir", data, "--workspace", workspace, "--run-id", "run-tmux",
                    "--opencode-bin", BuiltProducts.path(of: "fake-opencode"),
                    "--openwork-server-bin", BuiltProducts.path(of: "fake-openwork-server"),
                ] + arguments
            // The shell traps SIGINT (a trap, not an ignore: the command gets the default disposition) so that
            // Ctrl-C reaches openwork and the shell lives on to say how it exited.
            let shell = """
                trap 'echo' INT; stty -g > \(directory.path)/stty-before; \
                \(argv.map(TmuxSession.quoted).joined(separator: " ")) 2>\(directory.path)/stderr; \
                echo "EXITED:$?"; stty -g > \(directory.path)/stty-after
                """
            var variables = environment
            variables["OPENWORK_OPENCODE_PASSWORD"] = DashboardTerminalTests.password
            variables["LANG"] = variables["LANG"] ?? "C.UTF-8"
            // A crash ends at once with the default action (the runtime's backtracer, which the crash guard hands
            // over to once the terminal is restored, takes a minute on a debug build and is interactive on a
            // terminal).
            variables["SWIFT_BACKTRACE"] = "enable=no"
            let tmux = try await TmuxSession.start(
                shell, width: width, height: height, environment: variables, in: directory.path)
            return Run(directory: directory, workspace: workspace, data: data, tmux: tmux)
        }

        private init(directory: TemporaryDirectory, workspace: String, data: String, tmux: TmuxSession) {
            self.directory = directory
            self.workspace = workspace
            self.data = data
            self.tmux = tmux
        }

        /// The terminal's modes before the run and after it ended (`stty -g`), once both are written.
        func terminalModes() async throws -> (before: String, after: String) {
            let after = directory.appending("stty-after")
            let clock = ContinuousClock()
            let end = clock.now + .seconds(60)
            while clock.now < end, !FileManager.default.fileExists(atPath: after) {
                try await Task.sleep(for: .milliseconds(100))
            }
            try await Task.sleep(for: .milliseconds(100))
            let before = try String(contentsOfFile: directory.appending("stty-before"), encoding: .utf8)
            return (before, try String(contentsOfFile: after, encoding: .utf8))
        }

        /// Presses `key`, then checks what quitting means: exit 0, the terminal's modes as before, nothing of
        /// the run left running.
        func quit(with key: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            try await tmux.send(key)
            try await tmux.waitFor("the exit", history: true) { $0.contains("EXITED:0") }
            let modes = try await terminalModes()
            #expect(modes.before == modes.after, sourceLocation: sourceLocation)
            #expect(await survivors().isEmpty, sourceLocation: sourceLocation)
            await finish()
        }

        /// What the command wrote on its stderr (after the dashboard gave it back).
        func standardError() -> String {
            (try? String(contentsOfFile: directory.appending("stderr"), encoding: .utf8)) ?? ""
        }

        /// Stops whatever is left (the daemon of a detach included) and the tmux server.
        func finish() async {
            tmux.stop()
            let left = OwnedProcesses.marked(owner: data)
            if !left.isEmpty { await OwnedProcesses.terminate(left, grace: .seconds(2)) }
        }

        /// Processes of the run still alive (its data directory marks them).
        func survivors(within deadline: Duration = .seconds(30)) async -> [Int32] {
            let clock = ContinuousClock()
            let end = clock.now + deadline
            let data = data
            let scan = {
                await DedicatedThread.run(name: "survivors") { OwnedProcesses.marked(owner: data).map(\.pid) }
            }
            var left = await scan()
            while !left.isEmpty, clock.now < end {
                try? await Task.sleep(for: .milliseconds(200))
                left = await scan()
            }
            return left
        }
    }

    static func allGreen(_ screen: String) -> Bool {
        screen.contains("All green") && screen.contains("Attach")
            && screen.split(separator: "\n").filter { $0.contains("healthy") }.count == 2
    }

    /// The row of `service` in the Overview: `[marker?, name, state, pid, port, …]`.
    static func row(_ service: String, in screen: String) -> [String] {
        guard let line = screen.split(separator: "\n").first(where: { $0.contains(" \(service) ") }) else { return [] }
        return line.split(separator: " ").map(String.init).filter { $0 != ">" }
    }

    @Test func overviewKeysResizeRestartAndQuit() async throws {
        let run = try await Run.start(environment: ["OPENWORK_OPENCODE_BACKOFF_FLOOR_MS": "5000"])
        defer { run.tmux.stop() }
        var screen = try await run.tmux.waitFor("both services healthy", Self.allGreen)
        try Golden.check(Self.normalized(screen, run), name: "tmux-overview-100x30")
        // What a person sees: the run, the services with pids and ports, masked secrets.
        #expect(screen.contains("run run-tmux"))
        #expect(screen.contains(run.workspace))
        let opencode = Self.row("opencode", in: screen)
        #expect(opencode.count >= 4 && Int(opencode[2]) != nil && Int(opencode[3]) != nil, "\(opencode)")
        #expect(screen.contains("OpenCode URL          http://127.0.0.1:\(opencode[3])"))
        #expect(!screen.contains(Self.password))
        #expect(screen.contains("OPENCODE_SERVER_PASSWORD=[REDACTED]"))
        try await run.tmux.send("s")
        screen = try await run.tmux.waitFor("secrets shown") { $0.contains(Self.password) }
        try await run.tmux.send("s")
        try await run.tmux.waitFor("secrets hidden again") { !$0.contains(Self.password) }

        // c: the attach command, with its credentials, on the clipboard (OSC 52 → tmux's paste buffer).
        try await run.tmux.send("c")
        let clipboard = try await Self.eventually { await run.tmux.clipboard() }
        #expect(clipboard.hasPrefix("OPENCODE_SERVER_USERNAME=opencode OPENCODE_SERVER_PASSWORD=\(Self.password) "))
        #expect(clipboard.contains("opencode attach http://127.0.0.1:\(opencode[3]) --dir \(run.workspace)"))

        // Help, then back.
        try await run.tmux.send("?")
        screen = try await run.tmux.waitFor("the help, the copy toast gone") {
            $0.contains("Everywhere") && $0.contains("PgUp/PgDn") && $0.contains("q quit  o overview  l logs")
        }
        try Golden.check(Self.normalized(screen, run), name: "tmux-help-100x30")
        try await run.tmux.send("o")
        try await run.tmux.waitFor("the overview") { $0.contains("SERVICE") }

        // A smaller window: fewer columns, nothing wider than the window; then back.
        try await run.tmux.resize(width: 60, height: 20)
        screen = try await run.tmux.waitFor("the 60-column overview") {
            $0.contains("SERVICE") && !$0.contains("LAST EXIT") && !$0.contains("RESTARTS")
        }
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 60 })
        #expect(screen.split(separator: "\n", omittingEmptySubsequences: false).count <= 21)
        try await run.tmux.resize(width: 100, height: 30)
        try await run.tmux.waitFor("the 100-column overview") { $0.contains("LAST EXIT") && Self.allGreen($0) }

        // opencode killed: restarting (its backoff is 5 s here), then healthy again with a new pid, on screen.
        let killed = try #require(Int32(opencode[2]))
        #expect(kill(killed, SIGKILL) == 0)
        screen = try await run.tmux.waitFor("opencode restarting") {
            Self.row("opencode", in: $0).dropFirst().first == "restarting"
        }
        #expect(screen.contains("signal 9"))
        screen = try await run.tmux.waitFor("opencode healthy again") {
            let row = Self.row("opencode", in: $0)
            return row.count > 3 && row[1] == "healthy" && row[2] != String(killed)
        }
        let restarted = Self.row("opencode", in: screen)
        #expect(restarted.joined(separator: " ").hasSuffix("signal 9"))
        // The connection follows the new child to its port.
        try await run.tmux.waitFor("the connection on the new port") {
            $0.contains("OpenCode URL          http://127.0.0.1:\(restarted[3])")
        }

        // q: everything stops, exit 0, the terminal as it was.
        try await run.quit(with: "q")
    }

    @Test func logsKeysFollowFiltersAndSearch() async throws {
        // With opencode-router too: a third service on the Overview and in the service filter.
        let run = try await Run.start(arguments: [
            "--opencode-router-bin", BuiltProducts.path(of: "fake-opencode-router"),
        ])
        defer { run.tmux.stop() }
        let overview = try await run.tmux.waitFor("the three services healthy") {
            $0.contains("All green") && $0.contains("Attach")
                && $0.split(separator: "\n").filter { $0.contains("healthy") }.count == 3
        }
        #expect(Self.row("opencode-router", in: overview).dropFirst().first == "healthy")
        #expect(overview.contains("opencode-router health"))
        try await run.tmux.send("l")
        var screen = try await run.tmux.waitFor("the logs") { $0.contains("follow on") && $0.contains(" | ") }
        try await run.tmux.send("f")
        try await run.tmux.waitFor("follow off") { $0.contains("follow off") }
        try await run.tmux.send("s")
        screen = try await run.tmux.waitFor("the opencode filter") { $0.contains("service opencode") }
        let lines = screen.split(separator: "\n").dropFirst(3).dropLast()
        #expect(lines.allSatisfy { $0.contains(" opencode ") || $0.trimmingCharacters(in: .whitespaces).isEmpty })
        try await run.tmux.send("e")
        try await run.tmux.waitFor("the info level") { $0.contains("level info") }
        try await run.tmux.send("/")
        try await run.tmux.send("-l", "listening")
        try await run.tmux.send("Enter")
        screen = try await run.tmux.waitFor("the search") { $0.contains("search \"listening\"") }
        #expect(screen.contains("opencode        | opencode server listening on http://127.0.0.1:"))
        #expect(!screen.contains("OpenWork server listening"), "the service filter still applies")
        try await run.tmux.send("s")
        screen = try await run.tmux.waitFor("the openwork-server filter") { $0.contains("service openwork-server") }
        #expect(screen.contains("openwork-server | OpenWork server listening on http://127.0.0.1:"))
        try await run.tmux.send("s")
        try await run.tmux.send("Escape")
        screen = try await run.tmux.waitFor("the opencode-router filter, no search") {
            $0.contains("service opencode-router") && !$0.contains("search \"")
        }
        #expect(screen.contains("opencode-router | opencode-router health on http://127.0.0.1:"))
        try await run.quit(with: "C-c")
    }

    @Test func detachHandsTheServicesToTheDaemonOnTheSamePorts() async throws {
        let run = try await Run.start()
        defer { run.tmux.stop() }
        let screen = try await run.tmux.waitFor("both services healthy", Self.allGreen)
        let port = Self.row("opencode", in: screen)[3]
        try await run.tmux.send("d")
        try await run.tmux.waitFor("the detach summary", deadline: .seconds(120), history: true) {
            $0.contains("EXITED:")
        }
        let summary = try await run.tmux.transcript()
        #expect(summary.contains("EXITED:0"), "\(summary)\n\(run.standardError())")
        #expect(summary.contains("Detached. Services still running:"))
        #expect(summary.contains("- opencode (pid "))
        // The same port, unless another process took it in the instant between the stop here and the start
        // there (this machine runs other tests): then openwork says so.
        let samePort = summary.contains("OpenCode URL: http://127.0.0.1:\(port)\n")
        #expect(samePort || run.standardError().contains("the same ports could not be used"), "\(summary)")
        let daemonPort = try #require(
            summary.split(separator: "\n").first { $0.hasPrefix("OpenCode URL: http://127.0.0.1:") }?.split(
                separator: ":"
            ).last.map(String.init))
        #expect(!summary.contains(Self.password))
        let modes = try await run.terminalModes()
        #expect(modes.before == modes.after)
        // The daemon runs them now, with the password the attach command had.
        let status = try await Self.openwork(["status", "--data-dir", run.data, "--json"])
        #expect(status.contains("\"opencode\"") && status.contains("127.0.0.1:\(daemonPort)"), "\(status)")
        _ = try? await Self.openwork(["stop", "--data-dir", run.data])
        _ = try? await Self.openwork(["daemon", "stop", "--data-dir", run.data])
        #expect(await run.survivors().isEmpty)
        await run.finish()
    }

    @Test(arguments: [("TERM", SIGTERM, "EXITED:0"), ("crash", SIGABRT, "EXITED:134")])
    func aSignalOrACrashGivesTheTerminalBack(_ name: String, signal: Int32, exit: String) async throws {
        let run = try await Run.start()
        defer { run.tmux.stop() }
        try await run.tmux.waitFor("both services healthy", Self.allGreen)
        let pid = try #require(Self.openworkPid(data: run.data))
        #expect(kill(pid, signal) == 0)
        try await run.tmux.waitFor("the exit", history: true) { $0.contains("EXITED:") }
        let screen = try await run.tmux.transcript()
        #expect(screen.contains(exit), "\(screen)")
        #expect(!screen.contains("SERVICE"), "the alternate screen is gone")
        let modes = try await run.terminalModes()
        #expect(modes.before == modes.after)
        #expect(await run.survivors().isEmpty)
        await run.finish()
    }

    /// The terminal closes under the dashboard (tmux ends: the pane gets SIGHUP): every service is stopped.
    @Test func aClosedTerminalStopsEverything() async throws {
        let run = try await Run.start()
        try await run.tmux.waitFor("both services healthy", Self.allGreen)
        let pid = try #require(Self.openworkPid(data: run.data))
        #expect(!OwnedProcesses.marked(owner: run.data).isEmpty)
        run.tmux.stop()
        #expect(await run.survivors().isEmpty)
        // openwork itself ends too (gone, or a zombie of whichever process adopted it).
        let clock = ContinuousClock()
        let end = clock.now + .seconds(60)
        while clock.now < end, let stat = ProcessIdentity.stat(of: pid), !stat.isZombie {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(ProcessIdentity.stat(of: pid).map(\.isZombie) ?? true, "openwork has exited")
        await run.finish()
    }

    @Test func plainLogsWhenTheTerminalCannotShowADashboard() async throws {
        // TERM=dumb: plain logs, nothing said. An unknown TERM: plain logs, and why.
        for (term, reason) in [("dumb", nil), ("no-such-terminal-xyz", "the dashboard cannot start")] {
            let run = try await Run.start(environment: ["TERM": term])
            defer { run.tmux.stop() }
            let screen = try await run.tmux.waitFor("the pairing text") { $0.contains("OpenWork orchestrator running") }
            #expect(!screen.contains("Overview (o)"))
            if let reason {
                #expect(run.standardError().contains(reason))
                #expect(run.standardError().contains("TERM=\(term)"))
            }
            try await run.tmux.send("C-c")
            try await run.tmux.waitFor("the exit", history: true) { $0.contains("EXITED:0") }
            #expect(await run.survivors().isEmpty)
            await run.finish()
        }
    }

    // MARK: Helpers

    /// The screen with what changes between runs replaced: directories, then every number by `#`, and runs of
    /// spaces shortened (a pid's width moves the columns after it).
    static func normalized(_ screen: String, _ run: Run) -> String {
        var text = screen.replacingOccurrences(of: run.workspace, with: "<workspace>")
        // Uptimes: `42s` on a quick machine, `1m05s` on a slow one.
        text = text.replacingOccurrences(
            of: #"\b[0-9]+[dhms]([0-9]+[dhms])?\b"#, with: "#t", options: .regularExpression)
        text = text.replacingOccurrences(of: #"[0-9]+"#, with: "#", options: .regularExpression)
        text = text.replacingOccurrences(of: #"  +"#, with: "  ", options: .regularExpression)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
            .trimmingCharacters(in: .newlines)
    }

    static func eventually<T>(_ value: () async -> T?) async throws -> T {
        let clock = ContinuousClock()
        let end = clock.now + .seconds(30)
        while clock.now < end {
            if let value = await value() { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TmuxError("no value within 30 s")
    }

    /// The pid of the `openwork start` of a data directory.
    static func openworkPid(data: String) -> Int32? {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.first { pid in
            guard let command = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else {
                return false
            }
            let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.count > 2 && arguments[0].hasSuffix("/openwork") && arguments[1] == "start"
                && arguments.contains(data)
        }
    }

    /// Runs the openwork CLI to its end and returns its stdout.
    @discardableResult
    static func openwork(_ arguments: [String]) async throws -> String {
        let process = try await DedicatedThread.run(name: "openwork") {
            try TestProcess(BuiltProducts.path(of: "openwork"), arguments)
        }
        process.closeInput()
        try await process.waitForExit(within: .seconds(120))
        return try await process.readRemainingOutput(within: .seconds(10))
    }
}
