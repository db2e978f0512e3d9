import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// `openwork status --opencode-url/--openwork-url`: direct checks of those services, no daemon needed.
@Suite("openwork status of services", .timeLimit(.minutes(2)))
struct StatusCheckTests {
    @Test("checks opencode with Basic auth from the environment; a wrong password or a down URL fails")
    func opencodeAndOpenwork() async throws {
        let fixture = try DaemonFixture("status-services")
        var environment = fixture.environment
        environment["OPENCODE_SERVER_PASSWORD"] = "s3cret-status"
        let opencode = try await OpenCodeProcess.start(executable: FakeOpenCode.path, environment: environment)
        do {
            let healthy = try await fixture.json(
                ["status", "--opencode-url", opencode.baseURL + "/"],
                extraEnvironment: ["OPENWORK_OPENCODE_PASSWORD": "s3cret-status"])
            #expect(healthy.exit.code == 0)
            #expect(healthy.value["ok"] == true)
            #expect(healthy.value["opencode"]?["ok"] == true)
            #expect(healthy.value["opencode"]?["url"]?.stringValue == opencode.baseURL)
            #expect(healthy.value["opencode"]?["health"]?["healthy"] == true)
            #expect(healthy.value["openwork"] == nil)
            #expect(fixture.daemonProcesses.isEmpty, "no daemon is needed or started")
            #expect(try healthy.value.serialized(.compact).contains("s3cret") == false)

            let human = try await fixture.openwork(
                ["status", "--opencode-url", opencode.baseURL],
                extraEnvironment: ["OPENWORK_OPENCODE_PASSWORD": "s3cret-status"])
            #expect(human.exit.code == 0)
            #expect(human.output.hasPrefix("opencode \(opencode.baseURL): healthy"))

            let wrong = try await fixture.json(
                ["status", "--opencode-url", opencode.baseURL, "--openwork-url", "http://127.0.0.1:1"],
                extraEnvironment: ["OPENWORK_OPENCODE_PASSWORD": "wrong"])
            #expect(wrong.exit.code == 1)
            #expect(wrong.value["ok"] == false)
            #expect(wrong.value["opencode"]?["kind"] == "opencode_unauthorized")
            #expect(wrong.value["openwork"]?["ok"] == false)
            #expect(wrong.value["openwork"]?["kind"] == "openwork_unreachable")
        } catch {
            _ = await opencode.stop()
            throw error
        }
        _ = await opencode.stop()
    }

    /// (A live daemon's control plane is checked in ``RPCBridgeTests``, which has one running.)
    @Test("--openwork-url and --opencode-url: a down URL is one clear error line, not NIO's errno text")
    func openworkServer() async throws {
        let fixture = try DaemonFixture("status-openwork")
        do {
            let down = try await fixture.openwork(["status", "--openwork-url", "http://127.0.0.1:1"])
            #expect(down.exit.code == 1)
            #expect(down.output.isEmpty)
            #expect(down.errors.contains("cannot reach the openwork server at http://127.0.0.1:1"))
            #expect(down.errors.contains("[openwork_unreachable]"))
            #expect(down.errors.contains("http://127.0.0.1:1: connection refused ["), "\(down.errors)")
            #expect(!down.errors.contains("errno"), "NIO's garbled description: \(down.errors)")
            #expect(down.errors.split(separator: "\n").count == 1)
            let opencodeDown = try await fixture.json(["status", "--opencode-url", "http://127.0.0.1:1"])
            #expect(opencodeDown.value["opencode"]?["kind"] == "opencode_unreachable")
            let message = opencodeDown.value["opencode"]?["error"]?.stringValue ?? ""
            #expect(message.hasSuffix("GET /global/health failed: connection refused"), "\(message)")
            let invalid = try await fixture.json(["status", "--openwork-url", "ftp://x"])
            #expect(invalid.exit.code == 1)
            #expect(invalid.value["openwork"]?["kind"] == "invalid_url")
            #expect(fixture.daemonProcesses.isEmpty, "no daemon is needed or started")
        }
    }
}
