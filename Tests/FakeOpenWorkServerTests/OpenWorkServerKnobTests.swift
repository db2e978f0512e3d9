import Foundation
import NIOHTTP1
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// One test per `FAKE_OPENWORK_*` knob, each failing if its knob did nothing.
@Suite("fake-openwork-server knobs", .timeLimit(.minutes(3)))
struct OpenWorkServerKnobTests {
    @Test("START_DELAY_MS: the listening line comes at least that much after the spawn")
    func startDelay() async throws {
        let spawned = ContinuousClock.now
        let fixture = try await HostFixture(environment: ["FAKE_OPENWORK_START_DELAY_MS": "400"])
        #expect(ContinuousClock.now - spawned >= .milliseconds(400))
        #expect(try await fixture.server.get("/health").status == 200)
        await fixture.stop()
    }

    @Test("CRASH_AFTER_MS: exit 1 after the listening line")
    func crashAfter() async throws {
        let fixture = try await HostFixture(environment: ["FAKE_OPENWORK_CRASH_AFTER_MS": "200"])
        let exit = try await fixture.server.process.waitForExit(within: .seconds(30))
        #expect(exit.code == 1)
        #expect(fixture.server.process.errorOutput.contains("CRASH_AFTER_MS"))
        await fixture.stop()
    }

    @Test("VERSION: what /health reports")
    func version() async throws {
        let fixture = try await HostFixture(environment: ["FAKE_OPENWORK_VERSION": "0.18.0-fake"])
        #expect(try await fixture.server.get("/health").json["version"] == "0.18.0-fake")
        await fixture.stop()
    }

    @Test("WRONG_CREDENTIALS: /workspaces echoes another opencode password; everything else is unchanged")
    func wrongCredentials() async throws {
        let fixture = try await HostFixture(environment: ["FAKE_OPENWORK_WRONG_CREDENTIALS": "1"])
        let opencode = try await fixture.workspaceItem()["opencode"] ?? .null
        #expect(opencode["password"]?.stringValue != nil)
        #expect(opencode["password"] != .string(fixture.secrets.opencodePassword))
        #expect(opencode["username"] == .string(fixture.secrets.opencodeUser))
        #expect(opencode["baseUrl"] == .string(fixture.opencode.baseURL))
        let proxied = try await HostHTTP.send(
            .GET, fixture.server.baseURL + "/opencode/global/health", headers: fixture.client)
        #expect(proxied.status == 200, "the server itself still uses the right password")
        await fixture.stop()
    }

    @Test("INTROSPECTION off: no /__fake routes")
    func introspectionOff() async throws {
        let fixture = try await HostFixture(environment: ["FAKE_OPENWORK_INTROSPECTION": "0"])
        let state = try await fixture.server.get("/__fake/state")
        #expect(state.status == 404)
        #expect(state.json["code"] == "not_found")
        await fixture.stop()
    }
}
