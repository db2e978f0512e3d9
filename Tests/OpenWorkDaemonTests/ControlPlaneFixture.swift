import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import OpenWorkClient
import OpenWorkDaemon
import OpenWorkJSON
import OpenWorkLogging
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkTesting

/// A control plane served in-process on 127.0.0.1 port 0, with a method table that counts handler runs.
struct ControlPlaneFixture {
    let port: Int
    let token: DaemonToken
    let handlerRuns: Locked<Int>
    let logLines: Locked<[String]>

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Runs `body` against a fresh control plane and stops the server afterwards, whatever happens.
    static func with(
        allowedOrigins: Set<String> = [],
        _ body: (ControlPlaneFixture) async throws -> Void
    ) async throws {
        let runs = Locked(0)
        let lines = Locked<[String]>([])
        var table = Operations.table(.init(testMethods: true))
        table.register(
            RPCMethod("count", summary: "Counts its runs.", result: RPCResultDescription("runs", schema: [:])) { _ in
                .integer(
                    Int64(
                        runs.withLock { count in
                            count += 1
                            return count
                        }))
            })
        let token = DaemonToken.generate()
        var configuration = ControlPlane.Configuration(token: token)
        configuration.allowedOrigins = allowedOrigins
        let settings = LogSettings(format: .pretty, write: { line in lines.withLock { $0.append(line) } })
        configuration.logger = Logger(label: "openwork.daemon") { OpenWorkLogHandler(label: $0, settings: settings) }
        let plane = ControlPlane(configuration, dispatcher: Dispatcher(table: table))
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = Task { try await plane.run { port in continuation.yield(port) } }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw RawHTTP.Failure(description: "server did not start") }
        try await body(ControlPlaneFixture(port: port, token: token, handlerRuns: runs, logLines: lines))
        server.cancel()
        _ = await server.result
    }

    /// A request through AsyncHTTPClient with the bearer token unless `authorized` is false.
    func request(
        _ method: HTTPMethod, _ path: String, body: String? = nil, authorized: Bool = true,
        headers: [(String, String)] = []
    ) async throws -> (status: Int, body: String, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if authorized { request.headers.add(name: "Authorization", value: "Bearer \(token.value)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(buffer: bytes), response.headers)
    }

    /// A raw request line plus headers, sent as is.
    func raw(_ lines: [String]) async throws -> RawHTTP.Reply {
        try await RawHTTP.exchange(port: port, lines.joined(separator: "\r\n") + "\r\n\r\n")
    }
}
