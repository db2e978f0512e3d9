import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenWorkCore
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkSystem
import ServiceLifecycle

extension ControlPlaneResponder {
    /// `GET /events`: a subscription to the engine's events, each matching one written (and flushed) as an SSE
    /// frame (`event: <type>` + `data: <event JSON>`) as it happens.
    ///
    /// The stream ends when the client disconnects (nothing more is written) and when the plane's service group
    /// shuts down (after a final `shutdown` event); either way the subscription ends with it.
    func events(_ request: Request, types: [String]?) -> Response {
        guard let subscribe = plane.configuration.events else {
            return Self.response(.failure(OpenWorkError(.dataDirUnusable, "no engine is running").rpcError))
        }
        let logger = plane.configuration.logger
        let trace = plane.dispatcher.trace
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                let opened = ContinuousClock.now
                var reason = "the daemon stopped"
                defer {
                    logger.info("GET /events stream ended after \(ContinuousClock.now - opened): \(reason)")
                }
                do {
                    try await request.body.consumeWithCancellationOnInboundClose { _ in
                        let events = subscribe()
                        try await writer.write(ByteBuffer(string: ": subscribed\n\n"))
                        for await event in events.cancelOnGracefulShutdown() where Operations.matches(event, types) {
                            trace?.notification(Self.notification(event))
                            try await writer.write(Self.frame(event))
                        }
                        // Cancelled: the client went away. Otherwise the daemon is stopping: say so.
                        try Task.checkCancellation()
                        let shutdown: JSONValue = [
                            "type": "shutdown", "time": .integer(Registry.Clock.unixMilliseconds()),
                        ]
                        trace?.notification(Self.notification(shutdown))
                        try await writer.write(Self.frame(shutdown))
                    }
                    try await writer.finish(nil)
                } catch {
                    // The client went away (or the connection broke): nothing left to write to.
                    reason = "the client disconnected"
                }
            })
    }

    /// The `event` notification the same event is over stdio, as the trace records it.
    static func notification(_ event: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "method": "event", "params": event]
    }

    /// `event: <type>\ndata: <event JSON>\n\n`.
    static func frame(_ event: JSONValue) -> ByteBuffer {
        let type = event["type"]?.stringValue ?? "event"
        let data = (try? event.serialized(.compact)) ?? "{}"
        return ByteBuffer(string: "event: \(type)\ndata: \(data)\n\n")
    }
}
