import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// Busy work without a model (fake only: `FAKE_OPENCODE_PROMPT_BUSY_MS` decides how long a turn lasts): a prompt
/// turns its session busy, then idle with a reply; abort ends a turn at once; disposal drops the instance's work.
@Suite("fake-opencode: prompts, status and abort")
struct SessionWorkTests {
    static func start(busy: Duration) async throws -> Server {
        try await Subject.fake(knobs: ["PROMPT_BUSY_MS": String(busy.milliseconds)])
    }

    static func prompt(_ server: Server, _ id: String, _ query: String, text: String = "hello") async throws {
        let response = try await server.client.post(
            "/session/\(id)/prompt_async" + query, json: ["parts": [["type": "text", "text": .string(text)]]])
        #expect(response.status == 204, "\(response.text)")
    }

    @Test func aPromptTurnsTheSessionBusyThenIdleWithAReply() async throws {
        let root = try TemporaryDirectory()
        let server = try await Self.start(busy: .milliseconds(200))
        let query = "?" + Shapes.directoryQuery(root.path)
        let id = try #require(try await server.client.json("POST", "/session" + query, body: [:])["id"]?.stringValue)
        let events = try await server.client.events("/event" + query)
        _ = try await events.nextJSON()

        try await Self.prompt(server, id, query)
        let busy = try await events.nextJSON { $0["type"] == "session.status" }
        #expect(busy["properties"] == ["sessionID": .string(id), "status": ["type": "busy"]])
        // The reply is written only after the busy time, so the status read right after `busy` is still busy
        // unless the machine stalled longer than that; the events below are the ordering that always holds.
        let idle = try await events.nextJSON { $0["type"] == "session.status" }
        #expect(idle["properties"]?["status"] == ["type": "idle"])
        let ended = try await events.nextJSON()
        #expect(ended["type"] == "session.idle")
        #expect(try await server.client.json("GET", "/session/status" + query) == [:])

        let messages = try await server.client.json("GET", "/session/\(id)/message" + query)
        let roles = messages.arrayValue?.map { $0["info"]?["role"] }
        #expect(roles == ["user", "assistant"])
        #expect(messages[0]?["parts"]?[0]?["text"] == "hello")
        #expect(messages[1]?["parts"]?[0]?["text"] == "Fake reply to: hello")
        #expect(messages[1]?["info"]?["parentID"] == messages[0]?["info"]?["id"])
        #expect(Shapes.isIdentifier(messages[0]?["info"]?["id"], prefix: "msg"))
        let last = try await server.client.json(
            "GET", "/session/\(id)/message?limit=1&" + Shapes.directoryQuery(root.path))
        #expect(last.arrayValue?.count == 1)
        await server.stop()
    }

    @Test func abortEndsABusyTurnAtOnceAndDropsQueuedPrompts() async throws {
        let root = try TemporaryDirectory()
        let server = try await Self.start(busy: .seconds(3600))
        let query = "?" + Shapes.directoryQuery(root.path)
        let id = try #require(try await server.client.json("POST", "/session" + query, body: [:])["id"]?.stringValue)
        let events = try await server.client.events("/event" + query)
        _ = try await events.nextJSON()
        try await Self.prompt(server, id, query, text: "first")
        try await Self.prompt(server, id, query, text: "queued")
        #expect(
            try await server.client.json("GET", "/session/status" + query) == [
                .init(stringLiteral: id): ["type": "busy"]
            ])

        #expect(try await server.client.json("POST", "/session/\(id)/abort" + query) == true)
        let aborted = try await events.nextJSON {
            $0["type"] == "message.updated" && $0["properties"]?["info"]?["role"] == "assistant"
        }
        #expect(aborted["properties"]?["info"]?["error"]?["name"] == "MessageAbortedError")
        #expect(
            try await events.nextJSON { $0["type"] == "session.status" }["properties"]?["status"] == ["type": "idle"])
        #expect(try await server.client.json("GET", "/session/status" + query) == [:])
        let messages = try await server.client.json("GET", "/session/\(id)/message" + query)
        #expect(
            messages.arrayValue?.map { $0["info"]?["role"] } == ["user", "user", "assistant"],
            "no reply to the queued prompt")
        await server.stop()
    }

    @Test func disposingTheInstanceDropsItsWorkAndABadPromptIs400() async throws {
        let root = try TemporaryDirectory()
        let server = try await Self.start(busy: .seconds(3600))
        let query = "?" + Shapes.directoryQuery(root.path)
        let id = try #require(try await server.client.json("POST", "/session" + query, body: [:])["id"]?.stringValue)
        try await Self.prompt(server, id, query)
        #expect(try await server.client.json("GET", "/session/status" + query).objectValue?.count == 1)
        _ = try await server.client.json("POST", "/instance/dispose" + query)
        #expect(try await server.client.json("GET", "/session/status" + query) == [:])

        for body: JSONValue in [[:], ["parts": "hi"], ["parts": [["type": "text"]]], ["parts": [], "noReply": "yes"]] {
            let response = try await server.client.post("/session/\(id)/prompt_async" + query, json: body)
            #expect(response.status == 400, "\(body)")
        }
        let unknown = try await server.client.post(
            "/session/ses_0123456789abABCDEFGHIJKLMN/prompt_async" + query, json: ["parts": []])
        #expect(unknown.status == 404)
        await server.stop()
    }
}
