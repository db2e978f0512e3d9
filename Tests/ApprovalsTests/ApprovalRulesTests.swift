import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import Testing

@Suite struct ApprovalRulesTests {
    @Test func replyAliases() {
        #expect(ApprovalReply.parse("once") == .once)
        #expect(ApprovalReply.parse("allow") == .once)
        #expect(ApprovalReply.parse("ALWAYS") == .always)
        #expect(ApprovalReply.parse("deny") == .reject)
        #expect(ApprovalReply.parse("reject") == .reject)
        #expect(ApprovalReply.parse("maybe") == nil)
        #expect(ApprovalReply.once.openworkServerReply == "allow")
        #expect(ApprovalReply.reject.openworkServerReply == "deny")
        #expect(ApprovalReply.always.openworkServerReply == nil)
    }
}

@Suite struct ApprovalRulesLogicTests {
    @Test func settingsFlagBeatsEnvironmentAndBadValuesAreRefused() throws {
        #expect(try ApprovalSettings.resolve(mode: nil, timeoutMs: nil, environment: [:]) == ApprovalSettings())
        let fromEnvironment = try ApprovalSettings.resolve(
            mode: nil, timeoutMs: nil,
            environment: ["OPENWORK_APPROVAL_MODE": "auto", "OPENWORK_APPROVAL_TIMEOUT_MS": "2500"])
        #expect(fromEnvironment == ApprovalSettings(mode: .auto, timeout: .milliseconds(2_500)))
        let flags = try ApprovalSettings.resolve(
            mode: "manual", timeoutMs: 10, environment: ["OPENWORK_APPROVAL_MODE": "auto"])
        #expect(flags == ApprovalSettings(mode: .manual, timeout: .milliseconds(10)))
        #expect(throws: OpenWorkError.self) {
            try ApprovalSettings.resolve(mode: "sometimes", timeoutMs: nil, environment: [:])
        }
        #expect(throws: OpenWorkError.self) { try ApprovalSettings.resolve(mode: nil, timeoutMs: 0, environment: [:]) }
        #expect(throws: OpenWorkError.self) {
            try ApprovalSettings.resolve(
                mode: nil, timeoutMs: nil, environment: ["OPENWORK_APPROVAL_TIMEOUT_MS": "soon"])
        }
    }

    @Test func readsGlobalEventFrames() throws {
        let asked = try JSONValue(
            parsing: #"""
                {"directory":"/w/a","payload":{"type":"permission.asked","properties":{"id":"per_1","sessionID":"ses_1",
                "permission":"bash","patterns":["rm -rf build"],"metadata":{},"always":["rm *"]}}}
                """#)
        let (directory, change) = ApprovalRules.change(in: asked)
        #expect(directory == "/w/a")
        #expect(
            change
                == .asked(
                    id: "per_1", sessionID: "ses_1",
                    request: .permission(permission: "bash", patterns: ["rm -rf build"])))
        let replied = try JSONValue(
            parsing:
                #"{"directory":"/w/a","payload":{"type":"permission.replied","properties":{"sessionID":"ses_1","requestID":"per_1","reply":"always"}}}"#
        )
        #expect(ApprovalRules.change(in: replied).change == .replied(id: "per_1", reply: "always"))
        let connected = try JSONValue(parsing: #"{"payload":{"type":"server.connected","properties":{}}}"#)
        #expect(ApprovalRules.change(in: connected).change == .connected)
        let heartbeat = try JSONValue(parsing: #"{"payload":{"type":"server.heartbeat","properties":{}}}"#)
        #expect(ApprovalRules.change(in: heartbeat).change == .other)
        let noID = try JSONValue(parsing: #"{"payload":{"type":"permission.asked","properties":{}}}"#)
        #expect(ApprovalRules.change(in: noID).change == .other)
    }

    @Test func timeoutDecisionUsesTheInjectedClock() {
        let start = ContinuousClock.now
        func item(_ id: String, at offset: Duration) -> PendingApproval {
            PendingApproval(
                id: id, workspaceID: nil, directory: "/w", sessionID: "ses",
                request: .permission(permission: "bash", patterns: []), createdAt: 0, received: start + offset)
        }
        let pending = [item("late", at: .seconds(5)), item("early", at: .zero), item("middle", at: .seconds(2))]
        #expect(ApprovalRules.expired(pending, timeout: nil, now: start + .seconds(100)).isEmpty)
        #expect(ApprovalRules.expired(pending, timeout: .seconds(3), now: start + .seconds(1)).isEmpty)
        #expect(ApprovalRules.expired(pending, timeout: .seconds(3), now: start + .seconds(3)) == ["early"])
        #expect(
            ApprovalRules.expired(pending, timeout: .seconds(3), now: start + .seconds(8)) == [
                "early", "middle", "late",
            ])
    }

    @Test func legacyRouteOnlyAfter404AndBackoffIsCapped() {
        #expect(ApprovalRules.shouldUseLegacyRoute(afterStatus: 404))
        #expect(!ApprovalRules.shouldUseLegacyRoute(afterStatus: 400))
        #expect(!ApprovalRules.shouldUseLegacyRoute(afterStatus: nil))
        #expect(ApprovalRules.reconnectDelay(failures: 1) == .milliseconds(100))
        #expect(ApprovalRules.reconnectDelay(failures: 2) == .milliseconds(200))
        #expect(ApprovalRules.reconnectDelay(failures: 7) == .milliseconds(5_000))
        #expect(ApprovalRules.reconnectDelay(failures: 500) == .milliseconds(5_000))
    }

    @Test func itemsMapToTheirWorkspaceByDirectory() {
        let local = Workspace(id: "ws-aaaaaaaaaaaa", name: "a", path: "/w/a", kind: .local, createdAt: 0, lastUsedAt: 0)
        let item = PendingApproval(
            id: "per_1", workspaceID: ApprovalRules.workspaceID(for: "/w/a/", in: [local]), directory: "/w/a",
            sessionID: "ses_1", request: .permission(permission: "edit", patterns: ["src/*"]), createdAt: 42,
            received: .now)
        #expect(item.workspaceID == "ws-aaaaaaaaaaaa")
        #expect(ApprovalRules.workspaceID(for: "/w/b", in: [local]) == nil)
        #expect(
            item.json == [
                "id": "per_1", "source": "opencode", "workspaceId": "ws-aaaaaaaaaaaa", "directory": "/w/a",
                "sessionID": "ses_1", "permission": "edit", "patterns": ["src/*"], "createdAt": 42,
            ])
        #expect(ApprovalRules.vanished([item], directory: "/w/a", listed: []) == ["per_1"])
        #expect(ApprovalRules.vanished([item], directory: "/w/a", listed: ["per_1"]).isEmpty)
        #expect(ApprovalRules.vanished([item], directory: "/w/b", listed: []).isEmpty)
    }
}
