import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// `/event` and `/global/event`: first frame, scoping, disposal, heartbeat.
@Suite("contract: event streams")
struct EventContractTests {
    static let connected: JSONValue = ["type": "server.connected", "properties": [:]]

    @Test(arguments: Subject.available)
    func firstFramesArriveAtOnce(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let events = try await server.client.events("/event?" + Shapes.directoryQuery(root.path))
        #expect(try await events.nextJSON(within: .seconds(30)).removingID() == Self.connected)
        let global = try await server.client.events("/global/event")
        #expect(try await global.nextJSON(within: .seconds(30)).removingID() == ["payload": Self.connected])
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func eventsReachOnlyTheirDirectorysStreamAndEveryGlobalStream(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let first = try await root.gitRepository("first")
        let second = try await root.gitRepository("second")
        let server = try await subject.start()
        let firstEvents = try await server.client.events("/event?" + Shapes.directoryQuery(first))
        let secondEvents = try await server.client.events("/event?" + Shapes.directoryQuery(second))
        let global = try await server.client.events("/global/event")
        for stream in [firstEvents, secondEvents, global] { _ = try await stream.nextJSON() }

        let session = try await server.client.json("POST", "/session?" + Shapes.directoryQuery(first), body: [:])
        let created = try await firstEvents.nextJSON { $0["type"] == "session.created" }
        #expect(created["properties"]?["info"]?["id"] == session["id"])
        let wrapped = try await global.nextJSON { $0["payload"]?["type"] == "session.created" }
        #expect(wrapped["directory"] == .string(first))
        let leaked = try await secondEvents.frames(during: .milliseconds(300))
        #expect(!leaked.contains { $0.json?["type"] == "session.created" }, "\(leaked)")
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func instanceDisposeEndsOnlyThatDirectorysEventStreams(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let first = try root.subdirectory("first")
        let second = try root.subdirectory("second")
        let server = try await subject.start()
        let firstEvents = try await server.client.events("/event?" + Shapes.directoryQuery(first))
        let secondEvents = try await server.client.events("/event?" + Shapes.directoryQuery(second))
        let global = try await server.client.events("/global/event")
        for stream in [firstEvents, secondEvents, global] { _ = try await stream.nextJSON() }

        #expect(try await server.client.json("POST", "/instance/dispose?" + Shapes.directoryQuery(first)) == true)
        let disposed = try await firstEvents.nextJSON { $0["type"] == "server.instance.disposed" }
        #expect(disposed["properties"]?["directory"] == .string(first))
        #expect(try await firstEvents.waitForEnd().end == .clean)

        let wrapped = try await global.nextJSON { $0["payload"]?["type"] == "server.instance.disposed" }
        #expect(wrapped["directory"] == .string(first))
        try await Task.sleep(for: .milliseconds(200))
        #expect(secondEvents.end == nil, "another directory's stream stays open")
        #expect(global.end == nil, "the global stream does not end on disposal")

        let again = try await server.client.events("/event?" + Shapes.directoryQuery(first))
        #expect(try await again.nextJSON().removingID() == Self.connected, "the next request boots a fresh instance")
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func globalDisposeEndsEveryDirectoryStreamAndAnnouncesItself(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let streams = try await [root.subdirectory("a"), root.subdirectory("b")].asyncMap { directory in
            try await server.client.events("/event?" + Shapes.directoryQuery(directory))
        }
        let global = try await server.client.events("/global/event")
        for stream in streams + [global] { _ = try await stream.nextJSON() }

        #expect(try await server.client.json("POST", "/global/dispose") == true)
        for stream in streams {
            #expect(try await stream.waitForEnd().end == .clean)
        }
        let announced = try await global.nextJSON { $0["payload"]?["type"] == "global.disposed" }
        #expect(announced["directory"] == "global")
        #expect(global.end == nil)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func heartbeatArrivesEveryTenSecondsByDefault(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        // Measured from before the request: the server opens the stream after that, so a heartbeat due 10 s
        // after the opening cannot arrive sooner than 10 s after this instant, however loaded the machine is.
        // (Measuring from when we *read* `server.connected` made a late reader see an early heartbeat.)
        let requested = ContinuousClock.now
        let events = try await server.client.events("/event?" + Shapes.directoryQuery(root.path))
        _ = try await events.nextJSON()
        let heartbeat = try await events.nextJSON(within: .seconds(25))
        let elapsed = ContinuousClock.now - requested
        #expect(heartbeat.removingID() == ["type": "server.heartbeat", "properties": [:]])
        #expect(elapsed >= .seconds(10), "heartbeat after \(elapsed), before the 10 s interval")
        await server.stop()
    }
}

extension JSONValue {
    /// The event without the `id` member late 1.x adds, for comparing shapes.
    func removingID() -> JSONValue {
        guard case .object(var members) = self else { return self }
        members["id"] = nil
        if let payload = members["payload"] { members["payload"] = payload.removingID() }
        return .object(members)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
