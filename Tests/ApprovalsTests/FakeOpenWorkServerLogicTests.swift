import OpenWorkJSON
import Testing

@testable import fake_openwork_server

/// The fake OpenWork server's pure parts and its approval book, without a process.
@Suite struct FakeOpenWorkServerLogicTests {
    @Test func optionsParseFlagsAndTakeTheTokenFromTheEnvironmentOnly() throws {
        let options = try ServerOptions.parse(
            ["--port", "0", "--approval", "auto", "--approval-timeout-ms", "250", "--hostname", "127.0.0.1"],
            environment: ["OPENWORK_HOST_TOKEN": "t", "FAKE_OPENWORK_INTROSPECTION": "1"])
        #expect(options.mode == .auto && options.approvalTimeoutMs == 250 && options.hostToken == "t")
        #expect(options.introspection)
        #expect(throws: ServerOptions.Problem.self) { try ServerOptions.parse([], environment: [:]) }
        #expect(throws: ServerOptions.Problem.self) {
            try ServerOptions.parse(["--host-token", "t"], environment: ["OPENWORK_HOST_TOKEN": "t"])
        }
        #expect(throws: ServerOptions.Problem.self) {
            try ServerOptions.parse(["--port", "70000"], environment: ["OPENWORK_HOST_TOKEN": "t"])
        }
        #expect(throws: ServerOptions.Problem.self) {
            try ServerOptions.parse(["--approval-timeout-ms"], environment: ["OPENWORK_HOST_TOKEN": "t"])
        }
    }

    @Test func hostTokenCheckAcceptsOnlyTheExactToken() {
        let check = HostTokenCheck("secret")
        #expect(check.accepts("secret"))
        #expect(!check.accepts(nil))
        #expect(!check.accepts(""))
        #expect(!check.accepts("secre"))
        #expect(!check.accepts("secret!"))
        #expect(!check.accepts("Secret"))
    }

    @Test func bookDecidesOnceAndWaitersSeeTheDecision() async {
        let book = ApprovalBook(mode: .manual, timeout: .seconds(3600)) { 1_000 }
        let (approval, decided) = await book.request(workspaceId: "ws-1", action: "file.write", summary: "s", paths: [])
        #expect(decided == nil)
        #expect(await book.items.count == 1)
        async let outcome = book.outcome(of: approval.id)
        #expect(await book.decide(approval.id, allow: false) == .init(allowed: false, reason: "denied"))
        #expect(await outcome == .init(allowed: false, reason: "denied"))
        #expect(await book.decide(approval.id, allow: true) == nil, "decided once")
        #expect(await book.items.isEmpty)

        let auto = ApprovalBook(mode: .auto, timeout: .seconds(3600)) { 1_000 }
        let (_, allowed) = await auto.request(workspaceId: "ws-1", action: "a", summary: "s", paths: [])
        #expect(allowed == .init(allowed: true, reason: "auto"))
        #expect(await auto.items.isEmpty)
    }
}
