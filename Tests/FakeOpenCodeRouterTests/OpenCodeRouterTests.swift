import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `fake-opencode-router`: the health server, its view of opencode, refusals, knobs and signals.
@Suite("fake-opencode-router", .timeLimit(.minutes(3)))
struct OpenCodeRouterTests {
    @Test("healthy opencode → 200 with the contract's shape; the health line names the bound port")
    func healthy() async throws {
        let fixture = try await RouterFixture()
        let router = try await fixture.start()
        #expect(router.healthLine.hasPrefix("opencode-router health on http://127.0.0.1:"))
        #expect(Int(router.baseURL.split(separator: ":").last ?? "").map { $0 > 0 } == true)
        let opencodeVersion = try await getJSON(
            fixture.opencode.baseURL + "/global/health",
            headers: [
                "Authorization": "Basic " + Data("\(fixture.user):\(fixture.password)".utf8).base64EncodedString()
            ]
        ).json["version"]
        let health = try await router.health()
        #expect(health.status == 200)
        #expect(
            health.json == [
                "ok": true,
                "opencode": [
                    "url": .string(fixture.opencode.baseURL), "healthy": true, "version": opencodeVersion ?? .null,
                ],
                "channels": ["telegram": false, "whatsapp": false, "slack": false],
                "config": ["groupsEnabled": false],
            ])
        await router.stop()
        await fixture.stop()
    }

    @Test("wrong credentials or an unreachable opencode → 503, ok false, opencode.healthy false")
    func unhealthyOpenCode() async throws {
        let fixture = try await RouterFixture()
        let wrong = try await fixture.start(environment: ["OPENCODE_SERVER_PASSWORD": "not-the-password"])
        let refused = try await wrong.health()
        #expect(refused.status == 503)
        #expect(refused.json["ok"] == false)
        #expect(refused.json["opencode"]?["healthy"] == false)
        await wrong.stop()

        let nowhere = "http://127.0.0.1:\(try LoopbackPort.closed())"
        let lost = try await fixture.start(environment: ["OPENCODE_URL": nowhere])
        let unreachable = try await lost.health()
        #expect(unreachable.status == 503)
        #expect(unreachable.json["opencode"]?["url"] == .string(nowhere))
        await lost.stop()
        await fixture.stop()
    }

    @Test("--opencode-url wins over OPENCODE_URL; the state shows what arrived, the data dir exists, no password")
    func argumentsAndState() async throws {
        let fixture = try await RouterFixture()
        let router = try await fixture.start(
            ["--opencode-url", fixture.opencode.baseURL], environment: ["OPENCODE_URL": "http://127.0.0.1:1"])
        #expect(try await router.health().status == 200)
        let state = try await getJSON(router.baseURL + "/__fake/state").json
        #expect(
            state["argv"]
                == .array(
                    ["serve", fixture.workspace.path, "--opencode-url", fixture.opencode.baseURL].map(JSONValue.string))
        )
        #expect(state["pid"] == .integer(Int64(router.process.pid)))
        #expect(state["opencodeUrl"] == .string(fixture.opencode.baseURL))
        #expect(state["directory"] == .string(fixture.workspace.path))
        #expect(state["username"] == .string(fixture.user))
        #expect(state["hasPassword"] == true)
        #expect(state["healthRequests"] == 1)
        #expect(FileManager.default.fileExists(atPath: fixture.workspace.appending("data/ws_1")))
        #expect(!(try state.serialized()).contains(fixture.password))
        await router.stop()
        await fixture.stop()
    }

    @Test(
        "refused starts exit 2: secrets on argv, no health port, no workspace, no opencode URL, bad knobs",
        arguments: [
            (["serve", "/tmp", "--password", "x"], [:]), (["serve", "/tmp", "--token=x"], [:]),
            (["serve", "OC-SECRET"], [:]), (["serve", "/tmp", "--opencode-url", "OC-SECRET"], [:]),
            (["serve", "/tmp"], ["OPENCODE_ROUTER_HEALTH_PORT": ""]), (["serve"], [:]), (["start", "/tmp"], [:]),
            (["serve", "/tmp"], ["OPENCODE_URL": ""]), (["serve", "/tmp", "--bogus"], [:]),
            (["serve", "/tmp"], ["FAKE_OPENCODE_ROUTER_NOPE": "1"]),
            (["serve", "/tmp"], ["FAKE_OPENCODE_ROUTER_UNHEALTHY": "sometimes"]),
            (["serve", "/tmp"], ["FAKE_OPENCODE_ROUTER_EXIT_CODE": "300"]),
        ] as [([String], [String: String])])
    func refusedStarts(_ arguments: [String], _ extra: [String: String]) async throws {
        let environment = cleanEnvironment(
            [
                "OPENCODE_URL": "http://127.0.0.1:1", "OPENCODE_ROUTER_HEALTH_PORT": "0",
                "OPENCODE_SERVER_PASSWORD": "OC-SECRET",
            ].merging(extra) { _, new in new })
        let process = try TestProcess(Router.path, arguments, environment: environment)
        #expect(try await process.waitForExit(within: .seconds(30)).code == 2)
        #expect(process.errorOutput.hasPrefix("fake-opencode-router: "))
        #expect(!process.errorOutput.contains("OC-SECRET"))
    }

    @Test("UNHEALTHY: 503 although opencode is healthy")
    func unhealthyKnob() async throws {
        let fixture = try await RouterFixture()
        let router = try await fixture.start(environment: ["FAKE_OPENCODE_ROUTER_UNHEALTHY": "1"])
        let health = try await router.health()
        #expect(health.status == 503)
        #expect(health.json["ok"] == false)
        #expect(health.json["opencode"]?["healthy"] == true)
        await router.stop()
        await fixture.stop()
    }

    @Test("UNHEALTHY_AFTER_MS: healthy before (a 10-minute setting), 503 for good once the time has passed")
    func unhealthyAfter() async throws {
        let fixture = try await RouterFixture()
        let later = try await fixture.start(environment: ["FAKE_OPENCODE_ROUTER_UNHEALTHY_AFTER_MS": "600000"])
        #expect(try await later.health().status == 200)
        await later.stop()
        let soon = try await fixture.start(environment: ["FAKE_OPENCODE_ROUTER_UNHEALTHY_AFTER_MS": "200"])
        let turned = await FakeOpenCode.eventually { (try? await soon.health().status) == 503 }
        #expect(turned)
        #expect(try await soon.health().status == 503)
        await soon.stop()
        await fixture.stop()
    }

    @Test("CRASH_AFTER_MS: exit 1 after the health line; EXIT_CODE: exit at once, never listening")
    func exits() async throws {
        let fixture = try await RouterFixture()
        let crashing = try await fixture.start(environment: ["FAKE_OPENCODE_ROUTER_CRASH_AFTER_MS": "200"])
        #expect(try await crashing.process.waitForExit(within: .seconds(30)).code == 1)
        let exiting = try TestProcess(
            Router.path, ["serve", fixture.workspace.path],
            environment: fixture.environment(["FAKE_OPENCODE_ROUTER_EXIT_CODE": "7"]))
        #expect(try await exiting.waitForExit(within: .seconds(30)).code == 7)
        #expect(try await exiting.readRemainingOutput(within: .seconds(10)).isEmpty)
        await fixture.stop()
    }

    @Test("SIGTERM: exit 0")
    func sigterm() async throws {
        let fixture = try await RouterFixture()
        let router = try await fixture.start()
        router.process.signal(SIGTERM)
        #expect(try await router.process.waitForExit(within: .seconds(20)).code == 0)
        await fixture.stop()
    }
}
