import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// `openwork serve --sandbox …` end to end with the fakes: bubblewrap for real (it runs here), docker and podman
/// through `fakes/fake-container-cli`, which records every call and runs the services on this host.
@Suite("host mode in a sandbox", .serialized)
struct SandboxRunTests {
    static let bubblewrap = Executable.onPath("bwrap", environment: ProcessInfo.processInfo.environment)

    /// What the sandboxed fake opencode can read and write (`POST /__fake/fs`).
    static func probe(_ pairing: JSONValue, read: [String], write: [String]) async throws -> JSONValue {
        let baseURL = try #require(pairing["opencode"]?["baseUrl"]?.stringValue)
        let body: JSONValue = [
            "read": .array(read.map(JSONValue.string)), "write": .array(write.map(JSONValue.string)),
        ]
        let response = try await LoopbackHTTP.exchange(
            baseURL, method: "POST", target: "/__fake/fs", headers: [("Content-Type", "application/json")],
            body: Array(try body.serialized(.compact).utf8), timeout: .seconds(30))
        #expect(response.status == 200)
        return try JSONValue(parsing: String(decoding: response.body, as: UTF8.self))
    }

    static func namespace(_ name: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(name)")
    }

    /// The allowlist file allowing `root` (read-only unless `readWrite`).
    static func allowlist(in data: TemporaryDirectory, root: String, readWrite: Bool = false) throws -> String {
        let path = data.path + "/allowlist.json"
        let json: JSONValue = ["allowedRoots": [["path": .string(root), "allowReadWrite": .bool(readWrite)]]]
        try Data(try json.serialized(.compact).utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(.enabled(if: bubblewrap != nil, "bubblewrap is not installed (apt-get install bubblewrap)"))
    func bubblewrapShowsTheServicesOnlyTheWorkspaceAndWhatIsAllowed() async throws {
        let data = try TemporaryDirectory("sandbox")
        let workspace = try data.makeDirectories("workspace")[0]
        let shared = try data.makeDirectories("shared/docs")[0]
        try Data("shared\n".utf8).write(to: URL(fileURLWithPath: shared + "/readme.txt"))
        try Data("home secret\n".utf8).write(to: URL(fileURLWithPath: data.path + "/home-secret.txt"))
        let dataDirectory = data.path + "/data"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try Data("token-of-the-daemon\n".utf8).write(to: URL(fileURLWithPath: dataDirectory + "/daemon-token"))
        let allowlist = try Self.allowlist(in: data, root: data.path + "/shared")
        let host = try HostRunTests.serve(
            ["--json", "--sandbox", "bwrap", "--sandbox-mount", shared + ":docs"],
            environment: ["FAKE_OPENCODE_INTROSPECTION": "1", "OPENWORK_SANDBOX_MOUNT_ALLOWLIST": allowlist],
            directories: (data, workspace))
        let line = try #require(try await host.process.readLine(within: .seconds(120)), "\(host.process.errorOutput)")
        let pairing = try JSONValue(parsing: line)
        #expect(pairing["sandbox"]?["backend"] == "bwrap")
        #expect(pairing["sandbox"]?["reason"] == "asked for (--sandbox bwrap)")
        #expect(pairing["sandbox"]?["mounts"]?[0]?["target"] == "/workspace/extra/docs")
        #expect(pairing["sandbox"]?["mounts"]?[0]?["readOnly"] == true)

        let probe = try await Self.probe(
            pairing,
            read: [
                dataDirectory + "/daemon-token", data.path + "/home-secret.txt", "/workspace",
                "/workspace/extra/docs/readme.txt", shared + "/readme.txt",
            ],
            write: [
                workspace + "/from-opencode.txt", "/workspace/at-workspace.txt", "/usr/probe",
                "/workspace/extra/docs/new.txt", "/persist/state.txt",
            ])
        let reads = try #require(probe["read"])
        let writes = try #require(probe["write"])
        #expect(reads[dataDirectory + "/daemon-token"]?["ok"] == false, "the data directory's token is not there")
        #expect(reads[data.path + "/home-secret.txt"]?["ok"] == false, "the user's home is not there")
        #expect(reads[shared + "/readme.txt"]?["ok"] == false, "an allowed mount is only at its target")
        #expect(reads["/workspace"]?["ok"] == true)
        #expect(reads["/workspace/extra/docs/readme.txt"]?["ok"] == true, "the allowed mount is visible")
        #expect(writes[workspace + "/from-opencode.txt"]?["ok"] == true, "the workspace is writable at its own path")
        #expect(writes["/workspace/at-workspace.txt"]?["ok"] == true, "and at /workspace")
        #expect(writes["/usr/probe"]?["error"] == "Read-only file system")
        #expect(writes["/workspace/extra/docs/new.txt"]?["error"] == "Read-only file system")
        #expect(writes["/persist/state.txt"]?["ok"] == true)
        #expect(probe["home"] == "/persist")
        #expect(FileManager.default.fileExists(atPath: workspace + "/from-opencode.txt"))
        #expect(FileManager.default.fileExists(atPath: workspace + "/at-workspace.txt"))
        #expect(FileManager.default.fileExists(atPath: dataDirectory + "/sandbox/persist/state.txt"))
        #expect(!FileManager.default.fileExists(atPath: shared + "/new.txt"))
        let ours = try #require(Self.namespace("mnt"))
        #expect(probe["mountNamespace"]?.stringValue?.hasPrefix("mnt:[") == true)
        #expect(probe["mountNamespace"] != .string(ours), "its own mount namespace")
        #expect(probe["pidNamespace"] != Self.namespace("pid").map(JSONValue.string), "its own pid namespace")

        // Every service runs under bubblewrap; a stop reaches the service itself (it exits 0 on SIGTERM, in its
        // grace) and leaves nothing.
        let wrapped = host.marked.map { HostRunTests.commandLine($0.pid) }.filter {
            $0.first?.hasSuffix("bwrap") == true
        }
        #expect(wrapped.count >= 2, "opencode and openwork-server each under bwrap")
        host.process.signal(SIGTERM)
        #expect(try await host.process.waitForExit(within: .seconds(60)).code == 0)
        let exits = HostRunTests.records(host).filter { $0["body"] == "service.exited" }
        #expect(exits.count == 2)
        for exit in exits {
            #expect(exit["attributes"]?["code"] == "0", "stopped gracefully, not killed: \(exit)")
        }
        try await host.expectNothingLeft()
    }

    @Test func aSandboxThatNamesNothingIsRefusedBeforeAnythingExists() async throws {
        let host = try HostRunTests.serve(["--json", "--sandbox", "firejail"])
        #expect(try await host.process.waitForExit(within: .seconds(60)).code == 1)
        let answer = try JSONValue(parsing: try await host.process.readRemainingOutput().trimmingWhitespace)
        #expect(answer["kind"] == "invalid_setting")
        #expect(answer["value"] == "firejail")
        #expect(!FileManager.default.fileExists(atPath: host.dataDirectory), "no data directory was made")
    }

    @Test(.enabled(if: bubblewrap != nil, "bubblewrap is not installed (apt-get install bubblewrap)"))
    func aSIGKILLedHostTakesItsSandboxesWithIt() async throws {
        let host = try HostRunTests.serve(["--json", "--sandbox", "bwrap"])
        _ = try #require(try await host.process.readLine(within: .seconds(120)), "\(host.process.errorOutput)")
        let sandboxed = host.marked.filter { HostRunTests.commandLine($0.pid).first?.hasSuffix("bwrap") == true }
        #expect(sandboxed.count >= 2)
        host.process.signal(SIGKILL)
        _ = try await host.process.waitForExit(within: .seconds(60))
        // No stop sequence ran: the spawn's guard and bubblewrap's --die-with-parent end every sandbox.
        try await host.expectNothingLeft()
    }

    @Test(.enabled(if: bubblewrap != nil, "bubblewrap is not installed (apt-get install bubblewrap)"))
    func bubblewrapPassesTheChecksAndAMountOutsideTheAllowlistStartsNothing() async throws {
        let checked = try HostRunTests.serve(["--check", "--sandbox", "bwrap"])
        #expect(
            try await checked.process.waitForExit(within: .seconds(120)).code == 0, "\(checked.process.errorOutput)")
        #expect(checked.process.errorOutput.contains("Checks: ok"))
        try await checked.expectNothingLeft()

        let data = try TemporaryDirectory("sandbox")
        let outside = try data.makeDirectories("outside")[0]
        let allowlist = try Self.allowlist(in: data, root: data.path + "/shared")
        let refused = try HostRunTests.serve(
            ["--json", "--sandbox", "bwrap", "--sandbox-mount", outside + ":x"],
            environment: ["OPENWORK_SANDBOX_MOUNT_ALLOWLIST": allowlist],
            directories: (data, try data.makeDirectories("workspace")[0]))
        #expect(try await refused.process.waitForExit(within: .seconds(60)).code == 1)
        let answer = try JSONValue(parsing: try await refused.process.readRemainingOutput().trimmingWhitespace)
        #expect(answer["ok"] == false)
        #expect(answer["kind"] == "sandbox_mount_refused")
        #expect(answer["error"]?.stringValue?.contains("is not under any allowed root") == true, "\(answer)")
        #expect(!refused.process.errorOutput.contains("service.starting"), "nothing started")
        try await refused.expectNothingLeft()
    }
}

/// docker, podman and Apple's container through `fakes/fake-container-cli` (no container engine runs here).
@Suite("host mode in containers, with a fake container tool", .serialized)
struct ContainerRunTests {
    static let fake = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fakes/fake-container-cli/fake-container-cli").path

    /// A directory of links named `tools` to the fake, and the environment that puts it first on a PATH without
    /// any real container tool.
    static func tools(_ tools: [String], in data: TemporaryDirectory) throws -> [String: String] {
        let bin = try data.makeDirectories("bin")[0]
        for tool in tools {
            try FileManager.default.createSymbolicLink(atPath: bin + "/" + tool, withDestinationPath: fake)
        }
        try FileManager.default.createDirectory(atPath: data.path + "/calls", withIntermediateDirectories: true)
        return [
            "PATH": bin + ":/usr/bin:/bin", "FAKE_CONTAINER_LOG": data.path + "/calls/calls.jsonl",
            "FAKE_CONTAINER_STATE": data.path + "/calls/containers",
        ]
    }

    /// Every call the fake recorded, in order.
    static func calls(_ data: TemporaryDirectory) throws -> [JSONValue] {
        let text = (try? String(contentsOfFile: data.path + "/calls/calls.jsonl", encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
    }

    static func argv(_ call: JSONValue) -> [String] { call["argv"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    @Test(arguments: ["docker", "podman"])
    func aRunStartsInContainersWithSecretsByNameLoopbackPortsAndStopsThemInOrder(_ tool: String) async throws {
        let data = try TemporaryDirectory("containers")
        let workspace = try data.makeDirectories("workspace")[0]
        var environment = try Self.tools([tool], in: data)
        environment["FAKE_OPENCODE_INTROSPECTION"] = "1"
        let dataDirectory = data.path + "/data"
        // A container a killed run of this data directory left: removed before anything starts.
        #expect(
            await Self.runOnce(
                [
                    data.path + "/bin/" + tool, "run", "-d", "--rm", "--name", "openwork-old", "--label",
                    "openwork.owner=" + dataDirectory, "img",
                ], environment: environment))
        let host = try HostRunTests.serve(
            ["--json", "--sandbox", tool], environment: environment, directories: (data, workspace))
        let line = try #require(try await host.process.readLine(within: .seconds(120)), "\(host.process.errorOutput)")
        let pairing = try JSONValue(parsing: line)
        #expect(pairing["sandbox"]?["backend"] == .string(tool))
        let secrets = [
            pairing["opencode"]?["password"], pairing["openwork"]?["hostToken"],
            pairing["openwork"]?["collaboratorToken"], pairing["openwork"]?["ownerToken"],
        ].compactMap { $0?.stringValue }
        #expect(secrets.count == 4)
        let opencodePort = try #require(pairing["opencode"]?["port"]?.int64Value)
        let openworkPort = try #require(pairing["openwork"]?["port"]?.int64Value)

        var calls = try Self.calls(data).filter { $0["argv"]?[1] != "run" || $0["argv"]?[5] != "openwork-old" }
        #expect(calls.allSatisfy { $0["tool"] == .string(tool) })
        let verbs = calls.map { Self.argv($0).dropFirst().first ?? "" }
        #expect(Array(verbs.prefix(5)) == ["version", "ps", "rm", "run", "run"], "\(verbs)")
        #expect(Self.argv(calls[0]) == [tool, "version"], "is the engine there?")
        #expect(Self.argv(calls[1]) == [tool, "ps", "-a", "-q", "--filter", "label=openwork.owner=" + dataDirectory])
        #expect(Self.argv(calls[2]) == [tool, "rm", "-f", "openwork-old"])
        let holder = Self.argv(calls[3])
        let holderName = try #require(holder.firstIndex(of: "--name").map { holder[$0 + 1] })
        #expect(holder.contains("-d") && holder.contains("--rm"))
        let published = holder.indices.filter { holder[$0] == "-p" }.map { holder[$0 + 1] }
        #expect(published.count == 3)
        #expect(published.allSatisfy { $0.hasPrefix("127.0.0.1:") }, "published on loopback only: \(published)")
        #expect(published.contains("127.0.0.1:\(opencodePort):\(opencodePort)"))
        #expect(published.contains("127.0.0.1:\(openworkPort):\(openworkPort)"))
        let services = calls.filter { Self.argv($0).contains("--network") }
        #expect(services.count == 2, "opencode and openwork-server")
        for service in services {
            let argv = Self.argv(service)
            #expect(argv[argv.firstIndex(of: "--network")! + 1] == "container:" + holderName)
            #expect(argv.contains("\(workspace):/workspace"))
            #expect(argv.contains("\(dataDirectory)/sandbox/persist:/persist"))
            #expect(argv.contains("debian:bookworm-slim"))
            #expect(!argv.contains("-p"), "the holder publishes; a service does not")
        }
        let opencode = Self.argv(services[0])
        #expect(opencode.contains("\(holderName)-opencode"))
        #expect(opencode.contains("OPENCODE_SERVER_PASSWORD"), "passed by name")
        #expect(services[0]["env"]?["OPENCODE_SERVER_PASSWORD"] == true, "its value in the tool's environment")
        #expect(Self.argv(services[1]).contains("OPENWORK_HOST_TOKEN"))
        #expect(services[1]["env"]?["OPENWORK_HOST_TOKEN"] == true)
        for call in calls {
            let argv = Self.argv(call).joined(separator: " ")
            for secret in secrets { #expect(!argv.contains(secret), "a secret on argv: \(argv)") }
        }
        let entrypoint = dataDirectory + "/sandbox/persist/openwork-sandbox/\(holderName)-opencode/entrypoint.sh"
        #expect(FileManager.default.fileExists(atPath: entrypoint))

        host.process.signal(SIGTERM)
        #expect(try await host.process.waitForExit(within: .seconds(60)).code == 0)
        calls = try Self.calls(data)
        let stops = calls.map(Self.argv).filter { $0.dropFirst().first == "stop" }
        #expect(
            stops == [
                [tool, "stop", "--time", "5", "\(holderName)-openwork-server"],
                [tool, "stop", "--time", "5", "\(holderName)-opencode"], [tool, "stop", "--time", "1", holderName],
            ])
        try await host.expectNothingLeft()
        let left = (try? FileManager.default.contentsOfDirectory(atPath: data.path + "/calls/containers")) ?? []
        #expect(left.filter { $0.hasSuffix(".json") }.isEmpty, "no container left: \(left)")
    }

    @Test func autoSaysWhatItChoseAndAppleContainerIsRefusedOffMacOS() async throws {
        let data = try TemporaryDirectory("containers")
        let environment = try Self.tools(["podman", "container"], in: data)
        let auto = try HostRunTests.serve(
            ["--json", "--sandbox", "auto", "--check"], environment: environment,
            directories: (data, try data.makeDirectories("workspace")[0]))
        #expect(try await auto.process.waitForExit(within: .seconds(120)).code == 0, "\(auto.process.errorOutput)")
        let pairing = try JSONValue(
            parsing: try await auto.process.readRemainingOutput().split(separator: "\n").first.map(String.init) ?? "")
        #expect(pairing["sandbox"]?["backend"] == "podman")
        #expect(
            pairing["sandbox"]?["reason"] == .string("auto: podman found at \(data.path)/bin/podman (docker not found)")
        )
        try await auto.expectNothingLeft()

        // A docker client without an engine is skipped by auto, with the reason, and refused when named.
        let downData = try TemporaryDirectory("containers")
        var down = try Self.tools(["docker"], in: downData)
        down["PATH"] = environment["PATH"]! + ":" + down["PATH"]!.split(separator: ":")[0]
        down["FAKE_CONTAINER_DOWN"] = "docker"
        let skipping = try HostRunTests.serve(
            ["--json", "--sandbox", "auto", "--check"], environment: down,
            directories: (data, try data.makeDirectories("workspace3")[0]))
        #expect(try await skipping.process.waitForExit(within: .seconds(120)).code == 0)
        let skipped = try JSONValue(
            parsing: try await skipping.process.readRemainingOutput().split(separator: "\n").first.map(String.init)
                ?? "")
        #expect(skipped["sandbox"]?["backend"] == "podman")
        #expect(
            skipped["sandbox"]?["reason"]?.stringValue?.contains("/docker: Cannot connect to the Docker daemon") == true
        )
        let named = try HostRunTests.serve(
            ["--json", "--sandbox", "docker"], environment: down,
            directories: (data, try data.makeDirectories("workspace4")[0]))
        #expect(try await named.process.waitForExit(within: .seconds(60)).code == 1)
        let refusal = try JSONValue(parsing: try await named.process.readRemainingOutput().trimmingWhitespace)
        #expect(refusal["kind"] == "sandbox_unavailable")
        #expect(refusal["error"]?.stringValue?.contains("does not work here: Cannot connect") == true)

        let apple = try HostRunTests.serve(
            ["--json", "--sandbox", "container"], environment: environment,
            directories: (data, try data.makeDirectories("workspace2")[0]))
        #expect(try await apple.process.waitForExit(within: .seconds(60)).code == 1)
        let answer = try JSONValue(parsing: try await apple.process.readRemainingOutput().trimmingWhitespace)
        #expect(answer["kind"] == "sandbox_unavailable")
        #expect(answer["error"]?.stringValue?.contains("macOS on Apple silicon only") == true)
    }

    /// Runs the fake as `tool` once (a container left by an earlier run); whether it succeeded.
    static func runOnce(_ argv: [String], environment: [String: String]) async -> Bool {
        guard let process = try? TestProcess(argv[0], Array(argv.dropFirst()), environment: environment) else {
            return false
        }
        return (try? await process.waitForExit(within: .seconds(30)))?.code == 0
    }
}

/// Host mode in the daemon (`--detach`, `host.start`) in a sandbox.
@Suite("host mode detached into the daemon, in a sandbox", .serialized)
struct SandboxDetachTests {
    static func openwork(_ arguments: [String], _ environment: [String: String]) async throws -> (Int32?, String) {
        let process = try TestProcess(BuiltProducts.path(of: "openwork"), arguments, environment: environment)
        let exit = try await process.waitForExit(within: .seconds(120))
        return (exit.code, try await process.readRemainingOutput())
    }

    @Test(.enabled(if: SandboxRunTests.bubblewrap != nil, "bubblewrap is not installed (apt-get install bubblewrap)"))
    func detachedServicesRunUnderBubblewrapInTheDaemon() async throws {
        let data = try TemporaryDirectory("sandbox-detach")
        let workspace = try data.makeDirectories("workspace")[0]
        let dataDirectory = data.path + "/data"
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("OPENWORK_") && !key.hasPrefix("FAKE_") && !key.hasPrefix("OPENCODE_")
        }
        environment["HOME"] = data.path
        environment["OPENWORK_DATA_DIR"] = dataDirectory
        environment["OPENWORK_OPENCODE_BIN"] = BuiltProducts.path(of: "fake-opencode")
        environment["OPENWORK_OPENWORK_SERVER_BIN"] = BuiltProducts.path(of: "fake-openwork-server")
        defer {
            for process in OwnedProcesses.marked(owner: dataDirectory) { kill(process.pid, SIGKILL) }
        }
        let (code, output) = try await Self.openwork(
            ["serve", "--detach", "--json", "--sandbox", "bwrap", "--workspace", workspace], environment)
        #expect(code == 0, "\(output)")
        let detached = try JSONValue(parsing: output.trimmingWhitespace)
        #expect(detached["sandbox"]?["backend"] == "bwrap")
        let (_, statusText) = try await Self.openwork(["status", "--json"], environment)
        let status = try JSONValue(parsing: statusText.trimmingWhitespace)
        #expect(status["host"]?["sandbox"]?["backend"] == "bwrap", "\(status)")
        let services = status["host"]?["services"]?.arrayValue ?? []
        #expect(services.count == 2)
        for service in services {
            let pid = try #require(service["pid"]?.int64Value.flatMap { Int32(exactly: $0) })
            #expect(HostRunTests.commandLine(pid).first?.hasSuffix("bwrap") == true, "\(service)")
        }
        let (stopped, _) = try await Self.openwork(["stop"], environment)
        #expect(stopped == 0)
        _ = try await Self.openwork(["daemon", "stop"], environment)
        let end = ContinuousClock.now + .seconds(30)
        while !OwnedProcesses.marked(owner: dataDirectory).isEmpty, ContinuousClock.now < end {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(OwnedProcesses.marked(owner: dataDirectory).isEmpty)
    }
}
