import Dispatch
import Foundation
import OpenWorkClient
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `LoopbackHTTP` against a one-connection server on 127.0.0.1 that answers with canned bytes, so each framing
/// the client must understand (length, chunked, close-delimited) and each failure is shown exactly.
@Suite("LoopbackHTTP", .timeLimit(.minutes(1)))
struct LoopbackHTTPTests {
    /// Accepts one connection, reads the request head (and a declared body), answers `reply` (or nothing), and
    /// hands back what it read.
    final class CannedServer: Sendable {
        let port: Int
        private let listener: Int32
        private let received = Locked<String?>(nil)
        private let done = DispatchSemaphore(value: 0)

        init(reply: String?, closeAfterReply: Bool = true) throws {
            let (descriptor, port) = try LoopbackPort.listening()
            listener = descriptor
            self.port = port
            let received = received
            let done = done
            Thread.detachNewThread {
                defer { done.signal() }
                let connection = accept(descriptor, nil, nil)
                guard connection >= 0 else { return }
                defer { close(connection) }
                var bytes: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4_096)
                while !Self.requestComplete(bytes) {
                    let count = recv(connection, &buffer, buffer.count, 0)
                    if count <= 0 { break }
                    bytes += buffer[..<count]
                }
                received.withLock { $0 = String(decoding: bytes, as: UTF8.self) }
                guard let reply else {
                    // Never answer: hold the connection until the client gives up and closes it.
                    while recv(connection, &buffer, buffer.count, 0) > 0 {}
                    return
                }
                _ = Array(reply.utf8).withUnsafeBytes {
                    send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if !closeAfterReply { while recv(connection, &buffer, buffer.count, 0) > 0 {} }
            }
        }

        var baseURL: String { "http://127.0.0.1:\(port)" }

        /// What the client sent, once the server is done with the connection.
        func request() -> String? {
            done.wait()
            close(listener)
            return received.value
        }

        static func requestComplete(_ bytes: [UInt8]) -> Bool {
            let text = String(decoding: bytes, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { return false }
            let length =
                text[..<end.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            return text[end.upperBound...].utf8.count >= length
        }
    }

    @Test("a Content-Length body; the request carries method, target, Host, headers and body")
    func contentLength() async throws {
        let server = try CannedServer(reply: "HTTP/1.1 201 Created\r\nContent-Length: 7\r\nX-A: b\r\n\r\n{\"a\":1}")
        let response = try await LoopbackHTTP.exchange(
            server.baseURL, method: "POST", target: "/rpc?x=1", headers: [("Authorization", "Bearer t")],
            body: Array("hello".utf8), timeout: .seconds(5))
        #expect(response.status == 201)
        #expect(response.header("x-a") == "b")
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"a\":1}")
        let request = try #require(server.request())
        #expect(request.hasPrefix("POST /rpc?x=1 HTTP/1.1\r\n"))
        #expect(request.contains("\r\nHost: 127.0.0.1:\(server.port)\r\n"))
        #expect(request.contains("\r\nAuthorization: Bearer t\r\n"))
        #expect(request.contains("\r\nContent-Length: 5\r\n"))
        #expect(request.hasSuffix("\r\n\r\nhello"))
    }

    @Test("a given Host replaces the default one (the harness sends foreign hosts)")
    func hostOverride() async throws {
        let server = try CannedServer(reply: "HTTP/1.1 421 Misdirected\r\nContent-Length: 0\r\n\r\n")
        let response = try await LoopbackHTTP.exchange(
            server.baseURL, method: "GET", target: "/", headers: [("Host", "evil.example")], timeout: .seconds(5))
        #expect(response.status == 421)
        #expect(response.body.isEmpty)
        let request = try #require(server.request())
        #expect(request.contains("\r\nHost: evil.example\r\n"))
        #expect(request.components(separatedBy: "\r\nHost:").count == 2, "exactly one Host")
    }

    @Test("a chunked body is reassembled, chunk extensions ignored, without waiting for the close")
    func chunked() async throws {
        let reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
        let server = try CannedServer(reply: reply, closeAfterReply: false)
        let response = try await LoopbackHTTP.exchange(server.baseURL, method: "GET", target: "/", timeout: .seconds(5))
        #expect(String(decoding: response.body, as: UTF8.self) == "abcdefg")
        _ = server.request()
    }

    @Test("a body without a length ends with the connection")
    func closeDelimited() async throws {
        let server = try CannedServer(reply: "HTTP/1.1 200 OK\r\n\r\nuntil the end")
        let response = try await LoopbackHTTP.exchange(server.baseURL, method: "GET", target: "/", timeout: .seconds(5))
        #expect(String(decoding: response.body, as: UTF8.self) == "until the end")
        _ = server.request()
    }

    @Test("a body cut short by the close is an error, not a short answer")
    func truncated() async throws {
        let server = try CannedServer(reply: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await #expect(throws: LoopbackHTTP.Failure.self) {
            try await LoopbackHTTP.exchange(server.baseURL, method: "GET", target: "/", timeout: .seconds(5))
        }
        _ = server.request()
    }

    @Test("nothing listening: a failure that says the request never left")
    func refused() async throws {
        // Bound and closed before the exchange: nothing listens, so the connect itself is refused (a listener
        // that was still closing could accept and then reset, which says nothing about this path).
        let port = try LoopbackPort.closed()
        do {
            _ = try await LoopbackHTTP.exchange(
                "http://127.0.0.1:\(port)", method: "GET", target: "/", timeout: .seconds(5))
            Issue.record("a closed port answered")
        } catch {
            #expect(error.mayHaveArrived == false)
            #expect(error.description.contains("connect to 127.0.0.1:\(port)"))
        }
    }

    @Test("a server that never answers: the deadline ends the wait, and the request may have arrived")
    func deadline() async throws {
        let server = try CannedServer(reply: nil)
        do {
            _ = try await LoopbackHTTP.exchange(
                server.baseURL, method: "GET", target: "/", timeout: .milliseconds(300))
            Issue.record("an answer came from nowhere")
        } catch {
            #expect(error.description == "timed out")
            #expect(error.mayHaveArrived)
        }
        _ = server.request()
    }

    @Test("URLs that are not loopback http with a port are refused before connecting")
    func badURLs() async {
        for url in ["https://127.0.0.1:1", "http://127.0.0.1", "http://127.0.0.1:0", "ftp://x:1"] {
            await #expect(throws: LoopbackHTTP.Failure.self) {
                try await LoopbackHTTP.exchange(url, method: "GET", target: "/", timeout: .seconds(1))
            }
        }
    }
}
