import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenWorkJSON
import OpenWorkRPC
import Synchronization

/// The open `GET /events` streams, so a stopping daemon can end them instead of waiting for their clients.
final class EventStreams: Sendable {
    private let open = Mutex<(closed: Bool, next: Int, streams: [Int: AsyncStream<JSONValue>.Continuation])>(
        (false, 0, [:]))

    /// Registers a stream; `nil` when the plane is already closing.
    func add(_ continuation: AsyncStream<JSONValue>.Continuation) -> Int? {
        open.withLock { state in
            guard !state.closed else { return nil }
            state.next += 1
            state.streams[state.next] = continuation
            return state.next
        }
    }

    func remove(_ id: Int) {
        _ = open.withLock { $0.streams.removeValue(forKey: id) }
    }

    func closeAll() {
        let streams = open.withLock { state in
            state.closed = true
            defer { state.streams = [:] }
            return Array(state.streams.values)
        }
        for continuation in streams {
            continuation.yield(["type": "shutdown"])
            continuation.finish()
        }
    }
}

extension ControlPlaneResponder {
    /// `GET /events`: `events.subscribe` on a session whose notifications become SSE frames
    /// (`event: <type>` + `data: <event JSON>`), each written (and flushed) as it happens. The stream ends when
    /// the client disconnects and when the daemon stops.
    func events(_ request: Request, types: [String]?) async -> Response {
        let (events, continuation) = AsyncStream<JSONValue>.makeStream(bufferingPolicy: .bufferingNewest(1_000))
        let session = RPCSession { message in
            if let event = message["params"] { continuation.yield(event) }
        }
        guard let id = plane.streams.add(continuation) else {
            return Self.failure(status: 503, kind: "shutting_down", message: "the daemon is stopping")
        }
        let params: JSONValue? = types.map { ["types": .array($0.map(JSONValue.string))] }
        let subscribed = await plane.dispatcher.handle(
            RPCRequest(id: 1, method: "events.subscribe", params: params), session: session)
        if case .failure(let error)? = subscribed?.outcome {
            session.close()
            plane.streams.remove(id)
            return Self.response(.failure(error))
        }
        let streams = plane.streams
        let logger = plane.configuration.logger
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                defer {
                    session.close()
                    streams.remove(id)
                    continuation.finish()
                }
                let opened = ContinuousClock.now
                var reason = "the daemon stopped"
                defer {
                    logger.info("GET /events stream ended after \(ContinuousClock.now - opened): \(reason)")
                }
                do {
                    try await request.body.consumeWithCancellationOnInboundClose { _ in
                        try await writer.write(ByteBuffer(string: ": subscribed\n\n"))
                        for await event in events {
                            let type = event["type"]?.stringValue ?? "event"
                            let data = (try? event.serialized(.compact)) ?? "{}"
                            try await writer.write(ByteBuffer(string: "event: \(type)\ndata: \(data)\n\n"))
                        }
                    }
                    try await writer.finish(nil)
                } catch {
                    // The client went away (or the connection broke): nothing left to write to.
                    reason = "the client disconnected"
                }
            })
    }
}
