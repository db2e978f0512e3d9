import Hummingbird
import OpenWorkJSON

/// Writes an event subscription as Server-Sent Events: `data: <json>\n\n` per frame, each frame flushed as
/// soon as it is written, a heartbeat frame every interval.
///
/// The stream ends cleanly when its subscription finishes (disposal of its directory, shutdown). When the
/// client goes away, the writer is cancelled within a millisecond and the subscription dropped. While the
/// fake hangs (`FAKE_OPENCODE_HANG_AFTER_REQUESTS`) nothing is written, but the connection stays open.
enum EventStreamResponse {
    static func make(
        _ subscription: EventFeed.Subscription,
        request: Request,
        server: FakeServer,
        afterFirstFrame: (@Sendable () async -> Void)? = nil
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { writer in
            server.streams.begin()
            defer {
                server.bus.unsubscribe(subscription.id)
                server.streams.end()
            }
            do {
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            while true {
                                try await Task.sleep(for: server.knobs.heartbeatInterval)
                                subscription.continuation.yield(
                                    server.bus.frame(type: "server.heartbeat", properties: [:], for: subscription.scope)
                                )
                            }
                        }
                        var first = true
                        for await frame in subscription.frames where !server.faults.isHung {
                            try await writer.write(ByteBuffer(string: "data: \(try frame.serialized(.compact))\n\n"))
                            if first {
                                first = false
                                await afterFirstFrame?()
                            }
                        }
                        group.cancelAll()
                    }
                }
                try await writer.finish(nil)
            } catch {
                // The client went away or the connection broke: nothing left to write to.
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
