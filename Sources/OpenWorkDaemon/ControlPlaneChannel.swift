import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 channel plus one handler that keeps the request target as the client sent it.
///
/// Hummingbird turns an absolute-form target (`GET http://evil.example/health`) into the path `/health` and
/// drops its authority, so the Host header alone would decide who the request is for. ``RequestTargetRecorder``
/// runs between the HTTP/1 decoder and the conversion to HTTP types and copies any target that is not a path
/// into ``ControlPlane/requestTargetField`` for ``AccessPolicy`` to judge. It decides nothing itself.
struct ControlPlaneChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(RequestTargetRecorder(), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

extension ControlPlane {
    /// Where ``RequestTargetRecorder`` leaves a target that is not origin-form. A client's own field of this
    /// name is removed first, so only the recorder can set it.
    static let requestTargetField = "X-OpenWork-Request-Target"
}

/// Copies a request target that is not a path (`/…`) into ``ControlPlane/requestTargetField``.
final class RequestTargetRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        head.headers.remove(name: ControlPlane.requestTargetField)
        if !head.uri.hasPrefix("/") {
            head.headers.add(name: ControlPlane.requestTargetField, value: head.uri)
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}
