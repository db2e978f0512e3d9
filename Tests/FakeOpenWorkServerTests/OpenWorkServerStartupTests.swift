import Foundation
import NIOHTTP1
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// How the fake starts, refuses to start, logs, ends, and what it tells about itself.
@Suite("fake-openwork-server startup", .timeLimit(.minutes(3)))
struct OpenWorkServerStartupTests {
    @Test("the orchestrator's argv and environment: listening line, and /__fake/state says what arrived")
    func anchorStart() async throws {
        let fixture = try await HostFixture(arguments: ["--read-only", "--cors", "*"])
        let server = fixture.server
        #expect(server.listeningLine.hasPrefix("OpenWork server listening on http://127.0.0.1:"))
        #expect(Int(server.baseURL.split(separator: ":").last ?? "").map { $0 > 0 } == true)
        _ = try await server.get("/health")
        _ = try await server.get("/workspaces", headers: fixture.client)
        let state = try await server.state()
        #expect(
            state["argv"]
                == .array(
                    OpenWorkServer.anchorArguments(
                        workspace: fixture.workspace.path, opencodeURL: fixture.opencode.baseURL,
                        ["--read-only", "--cors", "*"]
                    ).map(JSONValue.string)))
        #expect(state["pid"] == .integer(Int64(server.process.pid)))
        #expect(
            state["requests"] == [["method": "GET", "path": "/health"], ["method": "GET", "path": "/workspaces"]])
        #expect(state["requestCount"] == 2)
        #expect(state["tokensMinted"] == 0)
        let config = state["config"] ?? .null
        #expect(config["readOnly"] == true)
        #expect(config["cors"] == ["*"])
        #expect(config["approvalTimeoutMs"] == 600_000)
        #expect(config["runId"] == "run-test")
        #expect(
            config["secretsPresent"] == [
                "token": true, "hostToken": true, "opencodePassword": true, "controlToken": false,
            ])
        let text = try state.serialized()
        for secret in [fixture.secrets.collaborator, fixture.secrets.host, fixture.secrets.opencodePassword] {
            #expect(!text.contains(secret), "no secret in the introspection")
        }
        await fixture.stop()
    }

    @Test("flags win over the environment")
    func flagsWin() async throws {
        let fixture = try await HostFixture(environment: [
            "OPENWORK_OPENCODE_BASE_URL": "http://127.0.0.1:1", "OPENWORK_OPENCODE_DIRECTORY": "/nowhere",
            "OPENWORK_LOG_FORMAT": "json",
        ])
        let item = try await fixture.workspaceItem()
        #expect(item["opencode"]?["baseUrl"] == .string(fixture.opencode.baseURL))
        #expect(item["opencode"]?["directory"] == .string(fixture.workspace.path))
        #expect(try await fixture.server.state()["config"]?["logFormat"] == "pretty")
        await fixture.stop()
    }

    @Test(
        "a secret on argv is refused with exit 2, and the message never repeats it",
        arguments: [
            ["--token", "SECRET-VALUE"], ["--host-token", "SECRET-VALUE"], ["--opencode-password", "SECRET-VALUE"],
            ["--opencode-username", "SECRET-VALUE"], ["--password", "SECRET-VALUE"], ["--token=SECRET-VALUE"],
            ["--workspace", "COLLAB-SECRET"], ["--workspace", "HOST-SECRET"], ["--opencode-directory", "OC-SECRET"],
            ["--cors=OC-SECRET"],
        ])
    func secretsOnArgv(_ arguments: [String]) async throws {
        let environment = cleanEnvironment([
            "OPENWORK_TOKEN": "COLLAB-SECRET", "OPENWORK_HOST_TOKEN": "HOST-SECRET",
            "OPENWORK_OPENCODE_PASSWORD": "OC-SECRET",
        ])
        let process = try TestProcess(OpenWorkServer.path, ["--port", "0"] + arguments, environment: environment)
        #expect(try await process.waitForExit(within: .seconds(30)).code == 2)
        let errors = process.errorOutput
        #expect(errors.contains("argv"), "\(errors)")
        for secret in ["SECRET-VALUE", "COLLAB-SECRET", "HOST-SECRET", "OC-SECRET"] {
            #expect(!errors.contains(secret))
        }
        #expect(try await process.readRemainingOutput(within: .seconds(10)).isEmpty, "never listened")
    }

    @Test(
        "bad starts exit 2: no host token, unknown argument, bad values, unknown or bad knobs",
        arguments: [
            ([], ["OPENWORK_HOST_TOKEN": ""]), (["--bogus"], [:]), (["--approval", "sometimes"], [:]),
            (["--log-format", "xml"], [:]), (["--approval-timeout", "0"], [:]), (["--port"], [:]),
            ([], ["FAKE_OPENWORK_NOPE": "1"]), ([], ["FAKE_OPENWORK_CRASH_AFTER_MS": "soon"]),
            ([], ["FAKE_OPENWORK_WRONG_CREDENTIALS": "maybe"]), ([], ["FAKE_OPENWORK_VERSION": ""]),
        ] as [([String], [String: String])])
    func badStarts(_ arguments: [String], _ environment: [String: String]) async throws {
        let process = try TestProcess(
            OpenWorkServer.path, ["--port", "0"] + arguments,
            environment: cleanEnvironment(["OPENWORK_HOST_TOKEN": "h"].merging(environment) { _, new in new }))
        #expect(try await process.waitForExit(within: .seconds(30)).code == 2)
        #expect(process.errorOutput.hasPrefix("fake-openwork-server: "))
    }

    @Test("pretty logs: one stderr line per request, never a secret")
    func prettyLogs() async throws {
        let fixture = try await HostFixture()
        _ = try await fixture.server.get("/workspaces", headers: fixture.client)
        _ = try await fixture.server.get("/workspaces?token=\(fixture.secrets.collaborator)")
        _ = try await fixture.server.get("/opencode/global/health", headers: fixture.client)
        _ = try await HostHTTP.send(
            .POST, fixture.server.baseURL + "/tokens", headers: fixture.host, json: ["scope": "owner"])
        let line = try await fixture.server.process.readErrorLine(within: .seconds(30))
        #expect(line?.hasPrefix("GET /workspaces 200 ") == true)
        await fixture.server.stop()
        let log = fixture.server.process.errorOutput
        #expect(log.contains("GET /workspaces 401 "))
        #expect(log.contains("GET /opencode/global/health 200 "))
        #expect(log.contains("POST /tokens 201 "))
        for secret in [fixture.secrets.collaborator, fixture.secrets.host, fixture.secrets.opencodePassword] {
            #expect(!log.contains(secret))
        }
        await fixture.stop()
    }

    @Test("--log-format json: OpenTelemetry-shaped records with the run id and the resource attributes")
    func jsonLogs() async throws {
        let fixture = try await HostFixture(
            arguments: ["--log-format", "json"],
            environment: ["OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test,service.instance.id=run-test"])
        _ = try await fixture.server.get("/health")
        _ = try await fixture.server.get("/workspaces")
        let first = try JSONValue(
            parsing: try #require(try await fixture.server.process.readErrorLine(within: .seconds(30))))
        let second = try JSONValue(
            parsing: try #require(try await fixture.server.process.readErrorLine(within: .seconds(30))))
        #expect(first["body"]?.stringValue?.hasPrefix("GET /health 200 ") == true)
        #expect(first["severityText"] == "INFO")
        #expect(first["severityNumber"] == 9)
        #expect(first["timeUnixNano"]?.stringValue.flatMap { Int64($0) }.map { $0 > 0 } == true)
        #expect(first["attributes"]?["run.id"] == "run-test")
        #expect(first["attributes"]?["path"] == "/health")
        #expect(first["resource"]?["service.name"] == "openwork-server")
        #expect(first["resource"]?["service.instance.id"] == "run-test")
        #expect(first["resource"]?["deployment.environment"] == "test")
        #expect(second["severityText"] == "WARN")
        #expect(second["severityNumber"] == 13)
        #expect(second["attributes"]?["status"] == 401)
        await fixture.stop()
    }

    @Test("SIGTERM ends the server with status 0")
    func sigterm() async throws {
        let fixture = try await HostFixture()
        fixture.server.process.signal(SIGTERM)
        #expect(try await fixture.server.process.waitForExit(within: .seconds(20)).code == 0)
        await fixture.stop()
    }
}
