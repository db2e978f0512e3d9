import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local HTTP server for sidecar tests on 127.0.0.1 port 0: serves registered files, counts requests per
/// path, and can break a transfer halfway (the connection closes after half the promised bytes).
final class AssetServer: Sendable {
    private let files = Mutex<[String: [UInt8]]>([:])
    private let hits = Mutex<[String: Int]>([:])
    private let truncated = Mutex<Set<String>>([])
    private let slow = Mutex<Set<String>>([])
    private let bound = Mutex(0)

    var port: Int { bound.withLock { $0 } }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    func serve(_ path: String, _ bytes: [UInt8]) { files.withLock { $0[path] = bytes } }
    func breakMidway(_ path: String, _ broken: Bool = true) {
        truncated.withLock { if broken { $0.insert(path) } else { $0.remove(path) } }
    }
    /// Streams `path` in 16 KiB pieces, 20 ms apart.
    func trickle(_ path: String) { slow.withLock { _ = $0.insert(path) } }
    func hitCount(_ path: String) -> Int { hits.withLock { $0[path] ?? 0 } }

    struct Aborted: Error {}

    /// Runs `body` with the server listening; stops it afterwards.
    static func with<T: Sendable>(_ body: (AssetServer) async throws -> T) async throws -> T {
        let server = AssetServer()
        let router = Router()
        router.get("**") { request, _ -> Response in
            let path = request.uri.path
            server.hits.withLock { $0[path, default: 0] += 1 }
            guard let bytes = server.files.withLock({ $0[path] }) else {
                return Response(status: .notFound, body: ResponseBody(byteBuffer: ByteBuffer(string: "not found")))
            }
            if server.truncated.withLock({ $0.contains(path) }) {
                let half = bytes.prefix(bytes.count / 2)
                return Response(
                    status: .ok,
                    body: ResponseBody(contentLength: bytes.count) { writer in
                        try await writer.write(ByteBuffer(bytes: half))
                        try await Task.sleep(for: .milliseconds(50))
                        throw Aborted()
                    })
            }
            if server.slow.withLock({ $0.contains(path) }) {
                return Response(
                    status: .ok,
                    body: ResponseBody(contentLength: bytes.count) { writer in
                        var offset = 0
                        while offset < bytes.count {
                            let end = min(offset + 16_384, bytes.count)
                            try await writer.write(ByteBuffer(bytes: bytes[offset..<end]))
                            offset = end
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        try await writer.finish(nil)
                    })
            }
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        var logger = Logger(label: "sidecar-tests.assets")
        logger.logLevel = .critical
        let running = AsyncStream<Int>.makeStream()
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in running.continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let task = Task { try await application.run() }
        defer { task.cancel() }
        var iterator = running.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw Aborted() }
        server.bound.withLock { $0 = port }
        let result = try await body(server)
        task.cancel()
        _ = try? await task.value
        return result
    }
}
