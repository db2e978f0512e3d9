import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// `openwork serve` end to end with the fakes: fake-opencode as opencode, fake-openwork-server, fake-opencode-router.
/// Each test has its own data directory and workspace, and leaves no process behind (every child carries the data
/// directory's owner mark, which is what the "nothing left" checks look for).
@Suite("host mode: openwork serve end to end", .serialized)
struct HostRunTests {
    struct Host {
        let data: TemporaryDirectory
        let workspace: String
        let process: TestProcess

        var dataDirectory: String { data.path + "/data" }

        /// The processes marked with this host's data directory (its services and whatever they started).
        var marked: [OwnedProcesses.Found] { OwnedProcesses.marked(owner: dataDirectory) }

        /// The marked processes whose command line names `executable`.
        func services(named executable: String) -> [Int32] {
            marked.map(\.pid).filter { HostRunTests.commandLine($0).first?.hasSuffix(executable) == true }
        }

        /// Waits until nothing carries this host's mark (a hang deadline, far above the seconds it takes).
        func expectNothingLeft() async throws {
            let end = ContinuousClock.now + .seconds(30)
            while !marked.isEmpty, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(50)) }
            #expect(marked.isEmpty, "left behind: \(marked.map { HostRunTests.commandLine($0.pid) })")
        }
    }

    /// Starts `openwork serve` with the fakes and `arguments` (in `reusing`'s directories, or `directories`, when
    /// given; the data directory is `data/data`).
    static func serve(
        _ arguments: [String], environment extra: [String: String] = [:], reusing: Host? = nil,
        directories: (data: TemporaryDirectory, workspace: String)? = nil
    ) throws -> Host {
        let data = try directories?.data ?? reusing?.data ?? TemporaryDirectory("host")
        let workspace = try directories?.workspace ?? reusing?.workspace ?? data.makeDirectories("workspace")[0]
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("OPENWORK_") && !key.hasPrefix("FAKE_") && !key.hasPrefix("OPENCODE_")
        }
        environment["HOME"] = data.path
        environment.merge(extra) { _, new in new }
        let process = try TestProcess(
            BuiltProducts.path(of: "openwork"),
            [
                "serve", "--data-dir", data.path + "/data", "--workspace", workspace, "--log-format", "json",
                "--opencode-bin", BuiltProducts.path(of: "fake-opencode"),
                "--openwork-server-bin", BuiltProducts.path(of: "fake-openwork-server"),
            ] + arguments,
            environment: environment)
        return Host(data: data, workspace: workspace, process: process)
    }

    static func commandLine(_ pid: Int32) -> [String] {
        guard let bytes = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The JSON log records on the host's stderr so far.
    static func records(_ host: Host) -> [JSONValue] {
        host.process.errorOutput.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
    }

    @Test func checkEventsStartsEverythingInOrderVerifiesChecksAndStopsEverything() async throws {
        let host = try Self.serve(["--json", "--check-events"])
        let exit = try await host.process.waitForExit(within: .seconds(120))
        let stdout = try await host.process.readRemainingOutput()
        #expect(exit.code == 0, "stderr: \(host.process.errorOutput.suffix(2_000))")
        let pairing = try JSONValue(parsing: stdout.split(separator: "\n").first.map(String.init) ?? "")
        #expect(pairing["ok"] == true)
        #expect(pairing["workspace"] == .string(host.workspace))
        for path in [
            ["opencode", "baseUrl"], ["opencode", "password"], ["opencode", "username"], ["openwork", "baseUrl"],
            ["openwork", "ownerToken"], ["openwork", "hostToken"], ["openwork", "collaboratorToken"], ["runId"],
        ] {
            let value = path.reduce(Optional(pairing)) { $0?[$1] }
            #expect(value?.stringValue?.isEmpty == false, "\(path)")
        }
        #expect(host.process.errorOutput.contains("Checks: ok"))
        let ready = Self.records(host).filter { $0["body"] == "service.ready" }.compactMap {
            $0["attributes"]?["service"]?.stringValue
        }
        #expect(ready.prefix(2) == ["opencode", "openwork-server"], "opencode first, then openwork-server")
        for secret in ["password"].compactMap({ pairing["opencode"]?[$0]?.stringValue })
            + ["ownerToken", "hostToken", "collaboratorToken"].compactMap({ pairing["openwork"]?[$0]?.stringValue })
        {
            #expect(!host.process.errorOutput.contains(secret), "a secret reached the log")
        }
        try await host.expectNothingLeft()
    }

    @Test func noSecretOnAnyChildsArgvAndSIGTERMStopsEverything() async throws {
        let host = try Self.serve(["--json"])
        let line = try #require(try await host.process.readLine(within: .seconds(120)))
        let pairing = try JSONValue(parsing: line)
        let secrets = [
            pairing["opencode"]?["password"], pairing["openwork"]?["hostToken"],
            pairing["openwork"]?["collaboratorToken"], pairing["openwork"]?["ownerToken"],
        ].compactMap { $0?.stringValue }
        #expect(secrets.count == 4)
        let children = host.marked
        #expect(children.count >= 2, "opencode and openwork-server run")
        for child in children {
            let argv = Self.commandLine(child.pid).joined(separator: " ")
            for secret in secrets { #expect(!argv.contains(secret), "\(argv)") }
        }
        host.process.signal(SIGTERM)
        #expect(try await host.process.waitForExit(within: .seconds(60)).code == 0)
        let stopped = Self.records(host).filter {
            $0["body"] == "service.exited" && $0["attributes"]?["stopping"] == "true"
        }.compactMap { $0["attributes"]?["service"]?.stringValue }
        #expect(stopped == ["openwork-server", "opencode"], "each stop announced, openwork-server first")
        try await host.expectNothingLeft()
    }

    @Test func aSignalDuringStartUpStopsWhatStartedAndExitsZero() async throws {
        // openwork-server takes 60 s to bind: the signal comes while host mode waits for it.
        let host = try Self.serve(["--json"], environment: ["FAKE_OPENWORK_START_DELAY_MS": "60000"])
        let end = ContinuousClock.now + .seconds(60)
        while host.services(named: "fake-openwork-server").isEmpty, ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(host.services(named: "fake-openwork-server").count == 1, "openwork-server is starting")
        host.process.signal(SIGTERM)
        #expect(try await host.process.waitForExit(within: .seconds(60)).code == 0)
        #expect(try await host.process.readRemainingOutput().isEmpty, "no pairing: it never started")
        try await host.expectNothingLeft()
    }

    @Test func prettyPairingWithholdsTheSecrets() async throws {
        let host = try Self.serve(["--check"])
        #expect(try await host.process.waitForExit(within: .seconds(120)).code == 0)
        let stdout = try await host.process.readRemainingOutput()
        #expect(stdout.contains("OpenWork orchestrator running"))
        #expect(stdout.contains("OpenWork owner token: issued (withheld from stdout)"))
        #expect(stdout.contains("OPENCODE_SERVER_PASSWORD=[REDACTED] opencode attach"))
        try await host.expectNothingLeft()
    }

    @Test func aKilledOpenWorkServerIsRestartedAndVerifiedAgain() async throws {
        let host = try Self.serve(["--json"])
        _ = try #require(try await host.process.readLine(within: .seconds(120)))
        let first = try #require(host.services(named: "fake-openwork-server").first)
        kill(first, SIGKILL)
        let end = ContinuousClock.now + .seconds(60)
        var readies = 0
        while ContinuousClock.now < end {
            readies =
                Self.records(host).filter {
                    $0["body"] == "service.ready" && $0["attributes"]?["service"] == "openwork-server"
                }.count
            if readies >= 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(readies == 2, "ready (verified) again after the kill")
        let second = host.services(named: "fake-openwork-server")
        #expect(second.count == 1 && second.first != first)
        host.process.signal(SIGTERM)
        #expect(try await host.process.waitForExit(within: .seconds(60)).code == 0)
        try await host.expectNothingLeft()
    }

    @Test func aRequiredRouterThatExitsStopsEverythingWithAFailure() async throws {
        let host = try Self.serve(
            ["--opencode-router-required", "--opencode-router-bin", BuiltProducts.path(of: "fake-opencode-router")],
            environment: ["FAKE_OPENCODE_ROUTER_CRASH_AFTER_MS": "300"])
        let exit = try await host.process.waitForExit(within: .seconds(120))
        #expect(exit.code == 1)
        #expect(host.process.errorOutput.contains("the required opencode-router exited"))
        try await host.expectNothingLeft()
    }

    @Test func anOptionalRouterThatExitsLeavesTheRestRunning() async throws {
        let host = try Self.serve(
            ["--json", "--opencode-router-bin", BuiltProducts.path(of: "fake-opencode-router")],
            environment: ["FAKE_OPENCODE_ROUTER_CRASH_AFTER_MS": "300"])
        _ = try #require(try await host.process.readLine(within: .seconds(120)))
        let end = ContinuousClock.now + .seconds(60)
        var warned = false
        while !warned, ContinuousClock.now < end {
            warned = Self.records(host).contains {
                $0["body"] == "service.exited" && $0["attributes"]?["service"] == "opencode-router"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(warned)
        #expect(!host.process.hasExited, "host mode goes on without the optional router")
        #expect(host.services(named: "fake-openwork-server").count == 1)
        host.process.signal(SIGTERM)
        #expect(try await host.process.waitForExit(within: .seconds(60)).code == 0)
        try await host.expectNothingLeft()
    }

    @Test func aSIGKILLedHostLeavesNoOrphanAfterTheNextStart() async throws {
        let host = try Self.serve(["--json"])
        _ = try #require(try await host.process.readLine(within: .seconds(120)))
        host.process.signal(SIGKILL)
        _ = try await host.process.waitForExit(within: .seconds(30))
        // Its children die with it (they are tied to the thread that spawned them); the next start in the same data
        // directory would terminate any that did not.
        try await host.expectNothingLeft()
        let next = try Self.serve(["--check"], reusing: host)
        #expect(try await next.process.waitForExit(within: .seconds(120)).code == 0, "the next start works")
        try await next.expectNothingLeft()
    }
}
