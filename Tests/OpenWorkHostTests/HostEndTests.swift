import OpenWorkHost
import OpenWorkJSON
import Testing

/// When a service's event ends host mode: the pure rule behind ``HostMode/ending()``.
@Suite("host mode: what ends a run")
struct HostEndTests {
    static func settings(router: String? = nil, exitOnChildFailure: Bool = false) throws -> HostSettings {
        var flags = HostSettings.Flags()
        flags.opencodeRouter = router != nil
        flags.opencodeRouterRequired = router == "required"
        flags.exitOnChildFailure = exitOnChildFailure
        return try HostSettings.resolve(flags, environment: [:], workingDirectory: "/ws")
    }

    @Test func aServiceThatGaveUpEndsTheRunExceptAnOptionalRouter() throws {
        let settings = try Self.settings(router: "optional")
        let failed: JSONValue = ["reason": "crash loop"]
        #expect(HostMode.end(service: "opencode", what: "failed", event: failed, settings: settings)?.exitCode == 1)
        #expect(HostMode.end(service: "openwork-server", what: "failed", event: failed, settings: settings) != nil)
        #expect(HostMode.end(service: "opencode-router", what: "failed", event: failed, settings: settings) == nil)
        let required = try Self.settings(router: "required")
        #expect(HostMode.end(service: "opencode-router", what: "failed", event: failed, settings: required) != nil)
    }

    @Test func aRouterExitEndsTheRunOnlyWhenTheRouterIsRequired() throws {
        let exited: JSONValue = ["pid": 10, "code": 1]
        let optional = try Self.settings(router: "optional")
        #expect(HostMode.end(service: "opencode-router", what: "exited", event: exited, settings: optional) == nil)
        let required = try Self.settings(router: "required")
        #expect(
            HostMode.end(service: "opencode-router", what: "exited", event: exited, settings: required)?.exitCode == 1)
        let asked: JSONValue = ["pid": 10, "code": 0, "stopping": true]
        #expect(HostMode.end(service: "opencode-router", what: "exited", event: asked, settings: required) == nil)
    }

    @Test func exitsEndTheRunOnlyWithExitOnChildFailureAndNotWhenAskedFor() throws {
        let exited: JSONValue = ["pid": 10, "code": 3]
        #expect(
            HostMode.end(service: "openwork-server", what: "exited", event: exited, settings: try Self.settings())
                == nil)
        let anchor = try Self.settings(exitOnChildFailure: true)
        let end = HostMode.end(service: "openwork-server", what: "exited", event: exited, settings: anchor)
        #expect(end?.exitCode == 3)
        let asked: JSONValue = ["pid": 10, "code": 0, "stopping": true]
        #expect(HostMode.end(service: "opencode", what: "exited", event: asked, settings: anchor) == nil)
        let clean: JSONValue = ["pid": 10, "code": 0]
        #expect(HostMode.end(service: "opencode", what: "exited", event: clean, settings: anchor)?.exitCode == 1)
    }
}
