import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// What the built `openwork` promises around the calls themselves: `--json` means JSON (usage errors too),
/// typo'd commands get a suggestion, an auto-start says so once (and can be refused), and settings a running
/// daemon does not have are reported, never silently ignored.
@Suite("CLI contract", .timeLimit(.minutes(3)))
struct CLIContractTests {
    @Test(
        "under --json every usage error is one JSON line on stdout with kind usage, exit 64, and starts nothing",
        arguments: [
            (["workspace", "add"], [:]),  // missing argument
            (["workspace", "list", "--bogus"], [:]),  // unknown flag
            (["daemon", "start", "--daemon-port", "abc"], [:]),  // bad value
            (["workspace", "lsit"], [:]),  // unknown subcommand
            (["frobnicate"], [:]),  // unknown command
            (["workspace", "list"], ["OPENWORK_DAEMON_PORT": "abc"]),  // bad variable
            (["workspace", "list"], ["OPENWORK_NO_AUTO_START": "maybe"]),
            (["daemon", "start"], ["OPENWORK_APPROVAL_MODE": "sometimes"]),
        ] as [([String], [String: String])])
    func usageErrorsAreJSON(arguments: [String], environment: [String: String]) async throws {
        let fixture = try DaemonFixture("cli-usage-json")
        try await fixture.scoped {
            let result = try await fixture.openwork(arguments + ["--json"], extraEnvironment: environment)
            #expect(result.exit.code == 64, "\(arguments) \(environment): \(result.output) \(result.errors)")
            let lines = result.output.split(separator: "\n")
            #expect(lines.count == 1, "one line on stdout: \(result.output)")
            let value = try JSONValue(parsing: String(lines.first ?? ""))
            #expect(value["ok"] == false)
            #expect(value["kind"] == "usage")
            #expect(value["error"]?.stringValue?.isEmpty == false)
            #expect(fixture.daemonProcesses.isEmpty)
        }
    }

    @Test("a typo'd subcommand gets a suggestion, with and without --json")
    func suggestsSubcommand() async throws {
        let fixture = try DaemonFixture("cli-suggest")
        let human = try await fixture.openwork(["workspace", "lsit"])
        #expect(human.exit.code == 64)
        #expect(human.output.isEmpty)
        #expect(human.errors.contains("unknown command 'lsit' for 'openwork workspace'; did you mean 'list'?"))
        let json = try await fixture.json(["daemon", "strat"])
        #expect(json.exit.code == 64)
        #expect(json.value["error"]?.stringValue?.contains("did you mean 'start'?") == true, "\(json.value)")
        #expect(fixture.daemonProcesses.isEmpty)
    }

    @Test("an auto-started daemon is announced once on stderr; later calls say nothing")
    func autoStartAnnounced() async throws {
        let fixture = try DaemonFixture("cli-autostart")
        try await fixture.scoped {
            let first = try await fixture.openwork(["workspace", "list", "--json"])
            #expect(first.exit.code == 0)
            let pid = try #require(fixture.state?["daemon"]?["pid"]?.int64Value)
            let url = try #require(fixture.baseURL)
            let announcements = first.errors.split(separator: "\n").filter { $0.contains("started daemon") }
            #expect(announcements == ["openwork: started daemon pid \(pid) at \(url)"[...]], "\(first.errors)")
            #expect((try? JSONValue(parsing: first.output.trimmingCharacters(in: .newlines))) != nil, "stdout is JSON")
            let second = try await fixture.openwork(["workspace", "list"])
            #expect(second.exit.code == 0)
            #expect(!second.errors.contains("started daemon"), "\(second.errors)")
            #expect(try await fixture.json(["daemon", "stop"]).value["ok"] == true)
        }
    }

    @Test(
        "--no-auto-start and OPENWORK_NO_AUTO_START=1 make a workspace command fail with daemon_not_running",
        arguments: [(["--no-auto-start"], [:]), ([], ["OPENWORK_NO_AUTO_START": "1"])]
            as [([String], [String: String])])
    func noAutoStart(flags: [String], environment: [String: String]) async throws {
        let fixture = try DaemonFixture("cli-no-autostart")
        try await fixture.scoped {
            let json = try await fixture.json(["workspace", "list"] + flags, extraEnvironment: environment)
            #expect(json.exit.code == 1)
            #expect(json.value["kind"] == "daemon_not_running", "\(json.value)")
            let human = try await fixture.openwork(["workspace", "list"] + flags, extraEnvironment: environment)
            #expect(human.exit.code == 1)
            #expect(human.errors.contains("[daemon_not_running]"))
            #expect(fixture.daemonProcesses.isEmpty, "no daemon was started")
        }
    }

    @Test("settings that differ from the running daemon's: one warning each on stderr and in --json; restart applies")
    func settingsMismatchWarned() async throws {
        let fixture = try DaemonFixture("cli-settings")
        try await fixture.scoped {
            let started = try await fixture.json(["daemon", "start"])
            let pid = try #require(started.value["pid"]?.int64Value)
            #expect(started.value["settings"]?["approval"] == "manual", "the record publishes the settings")

            let same = try await fixture.openwork(["workspace", "list", "--json"])
            #expect(!same.errors.contains("warning"), "nothing given differs: \(same.errors)")
            #expect(try JSONValue(parsing: same.output.trimmingCharacters(in: .newlines))["warnings"] == nil)

            let other = try await fixture.openwork(
                ["workspace", "list", "--json", "--approval", "auto", "--opencode-bin", "/elsewhere/opencode"])
            #expect(other.exit.code == 0)
            let warnings = try JSONValue(parsing: other.output.trimmingCharacters(in: .newlines))["warnings"]
            #expect(warnings?.arrayValue?.count == 2, "\(other.output)")
            let lines = other.errors.split(separator: "\n").filter { $0.hasPrefix("openwork: warning: ") }
            #expect(lines.count == 2, "\(other.errors)")
            #expect(lines.contains { $0.contains("uses --approval manual, not auto") })
            #expect(lines.contains { $0.contains("uses --opencode-bin \(FakeOpenCode.path), not /elsewhere/opencode") })
            #expect(lines.allSatisfy { $0.contains("openwork daemon restart") })

            let byVariable = try await fixture.openwork(
                ["workspace", "list"], extraEnvironment: ["OPENWORK_APPROVAL_MODE": "auto"])
            #expect(byVariable.errors.split(separator: "\n").filter { $0.contains("warning") }.count == 1)

            // `openwork rpc` bridging to the daemon: stdout is the protocol, so the warning goes to stderr only.
            let rpc = try TestProcess(
                DaemonFixture.openwork, ["rpc", "--approval", "auto", "--data-dir", fixture.dataDirectory],
                environment: fixture.environment)
            let warning = try await rpc.readErrorLine(within: .seconds(10))
            #expect(warning?.contains("uses --approval manual, not auto") == true, "\(warning ?? "")")
            rpc.closeInput()
            #expect(try await rpc.waitForExit(within: .seconds(10)).code == 0)

            let restarted = try await fixture.json(["daemon", "restart", "--approval", "auto"])
            #expect(restarted.value["ok"] == true, "\(restarted.value)")
            #expect(restarted.value["stoppedPid"]?.int64Value == pid)
            #expect(restarted.value["pid"]?.int64Value != pid)
            let applied = try await fixture.openwork(["workspace", "list", "--approval", "auto"])
            #expect(!applied.errors.contains("warning"), "\(applied.errors)")
            #expect(fixture.daemonProcesses.count == 1)
            #expect(try await fixture.json(["daemon", "stop"]).value["ok"] == true)
        }
    }
}
