import Foundation
import NIOHTTP1
import OpenWorkClient
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkTesting
import Testing

@testable import OpenWorkDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP control plane over real sockets: access rules (C1–C3), `/rpc`, `/health`, `/openrpc.json`, the log.
@Suite("HTTP control plane", .timeLimit(.minutes(2)))
struct ControlPlaneTests {
    @Test("GET /health answers without a token")
    func healthNeedsNoToken() async throws {
        try await ControlPlaneFixture.with { plane in
            let reply = try await plane.request(.GET, "/health", authorized: false)
            #expect(reply.status == 200)
            #expect(try JSONValue(parsing: reply.body)["ok"] == true)
        }
    }

    @Test("every other route answers 401 without the token, with a wrong one, or with another scheme (C3)")
    func tokenRequired() async throws {
        try await ControlPlaneFixture.with { plane in
            let routes: [(String, String)] = [
                ("GET", "/openrpc.json"), ("POST", "/rpc"), ("POST", "/shutdown"), ("GET", "/workspaces"),
                ("GET", "/nonexistent"), ("POST", "/health"),
            ]
            let wrong = String(plane.token.value.reversed())
            for (method, path) in routes {
                for authorization in [
                    nil, "Bearer \(wrong)", "Bearer ", "Basic \(plane.token.value)",
                    "Bearer \(plane.token.value)x", "Bearer " + String(repeating: plane.token.value, count: 5),
                ] {
                    var lines = [
                        "\(method) \(path) HTTP/1.1", "Host: 127.0.0.1:\(plane.port)", "Connection: close",
                        "Content-Length: 2",
                    ]
                    if let authorization { lines.append("Authorization: \(authorization)") }
                    let reply = try await RawHTTP.exchange(
                        port: plane.port, lines.joined(separator: "\r\n") + "\r\n\r\n{}")
                    #expect(reply.status == 401, "\(method) \(path) with \(authorization ?? "no header")")
                    #expect(reply.head.lowercased().contains("www-authenticate: bearer"))
                    #expect(try JSONValue(parsing: reply.body)["kind"] == "unauthorized")
                }
            }
            #expect(try await plane.request(.GET, "/openrpc.json").status == 200)
            let lower = try await plane.raw([
                "GET /openrpc.json HTTP/1.1", "Host: 127.0.0.1:\(plane.port)", "Connection: close",
                "Authorization: bearer \(plane.token.value)",
            ])
            #expect(lower.status == 200)
        }
    }

    @Test("a foreign, missing or repeated Host is refused with 421 before any handler runs (C1)")
    func foreignHostRefused() async throws {
        try await ControlPlaneFixture.with { plane in
            let port = plane.port
            let body = #"{"jsonrpc":"2.0","id":1,"method":"count"}"#
            let auth = "Authorization: Bearer \(plane.token.value)"
            let refused: [[String]] = [
                ["POST /rpc HTTP/1.1", "Host: evil.example:\(port)"],
                ["POST /rpc HTTP/1.1", "Host: evil.example"],
                ["POST /rpc HTTP/1.1", "Host: 127.0.0.1"],
                ["POST /rpc HTTP/1.1", "Host: 127.0.0.1:\(port + 1)"],
                ["POST /rpc HTTP/1.1", "Host: 127.0.0.2:\(port)"],
                ["POST /rpc HTTP/1.1"],
                ["POST /rpc HTTP/1.0"],
                ["POST /rpc HTTP/1.1", "Host: 127.0.0.1:\(port)", "Host: evil.example"],
                ["POST /rpc HTTP/1.1", "Host: evil.example", "Host: 127.0.0.1:\(port)"],
                ["POST http://evil.example/rpc HTTP/1.1", "Host: evil.example"],
                ["GET /health HTTP/1.1", "Host: evil.example"],
            ]
            for head in refused {
                let lines = head + [auth, "Connection: close", "Content-Length: \(body.utf8.count)"]
                let reply: RawHTTP.Reply
                do {
                    reply = try await RawHTTP.exchange(port: port, lines.joined(separator: "\r\n") + "\r\n\r\n" + body)
                } catch {
                    Issue.record("\(head): \(error)")
                    continue
                }
                #expect(reply.status == 421, "\(head)")
                #expect(try JSONValue(parsing: reply.body)["kind"] == "host_not_allowed")
            }
            #expect(plane.handlerRuns.value == 0)
            for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LOCALHOST:\(port)", "[::1]:\(port)"] {
                let lines = [
                    "POST /rpc HTTP/1.1", "Host: \(host)", auth, "Connection: close",
                    "Content-Length: \(body.utf8.count)",
                ]
                let reply = try await RawHTTP.exchange(port: port, lines.joined(separator: "\r\n") + "\r\n\r\n" + body)
                #expect(reply.status == 200, "\(host)")
            }
            #expect(plane.handlerRuns.value == 4)
        }
    }

    @Test("an Origin not in the allow-list is refused with 403, even with the token (C2)")
    func originRefused() async throws {
        try await ControlPlaneFixture.with(allowedOrigins: ["http://app.local:1420"]) { plane in
            for origin in ["http://evil.example", "null", "http://127.0.0.1:\(plane.port)", "http://app.local:1421"] {
                let reply = try await plane.request(.GET, "/openrpc.json", headers: [("Origin", origin)])
                #expect(reply.status == 403, "\(origin)")
                #expect(try JSONValue(parsing: reply.body)["kind"] == "origin_not_allowed")
                let health = try await plane.request(.GET, "/health", authorized: false, headers: [("Origin", origin)])
                #expect(health.status == 403)
            }
            let allowed = try await plane.request(.GET, "/openrpc.json", headers: [("Origin", "http://app.local:1420")])
            #expect(allowed.status == 200)
            #expect(allowed.headers["Access-Control-Allow-Origin"] == ["http://app.local:1420"])
            let preflight = try await plane.request(
                .OPTIONS, "/rpc", authorized: false, headers: [("Origin", "http://app.local:1420")])
            #expect(preflight.status == 204)
        }
        try await ControlPlaneFixture.with { plane in
            let reply = try await plane.request(.GET, "/health", headers: [("Origin", "http://localhost:3000")])
            #expect(reply.status == 403)
        }
    }

    @Test("POST /rpc answers a request, a batch, a parse error, and nothing (204) for notifications")
    func rpcBodies() async throws {
        try await ControlPlaneFixture.with { plane in
            let single = try await plane.request(
                .POST, "/rpc", body: #"{"jsonrpc":"2.0","id":"a","method":"test.echo","params":{"value":[1,2]}}"#)
            #expect(single.status == 200)
            #expect(single.headers["Content-Type"] == ["application/json"])
            let answer = try JSONValue(parsing: single.body)
            #expect(answer["id"] == "a")
            #expect(answer["result"] != nil)

            let batch = try await plane.request(
                .POST, "/rpc",
                body: #"[{"jsonrpc":"2.0","id":1,"method":"count"},{"jsonrpc":"2.0","method":"count"},"#
                    + #"{"jsonrpc":"2.0","id":2,"method":"nope"}]"#)
            let answers = try JSONValue(parsing: batch.body).arrayValue ?? []
            #expect(answers.count == 2)
            #expect(answers.first?["id"] == 1)
            #expect(answers.last?["error"]?["code"] == -32_601)

            let broken = try await plane.request(.POST, "/rpc", body: "{not json")
            #expect(broken.status == 200)
            #expect(try JSONValue(parsing: broken.body)["error"]?["code"] == -32_700)
            #expect(try JSONValue(parsing: broken.body)["id"] == .null)

            let empty = try await plane.request(.POST, "/rpc", body: "[]")
            #expect(try JSONValue(parsing: empty.body)["error"]?["code"] == -32_600)

            let before = plane.handlerRuns.value
            let notification = try await plane.request(.POST, "/rpc", body: #"{"jsonrpc":"2.0","method":"count"}"#)
            #expect(notification.status == 204)
            #expect(notification.body.isEmpty)
            #expect(plane.handlerRuns.value == before + 1)
            let notifications = try await plane.request(
                .POST, "/rpc", body: #"[{"jsonrpc":"2.0","method":"count"},{"jsonrpc":"2.0","method":"count"}]"#)
            #expect(notifications.status == 204)
        }
    }

    @Test("GET /openrpc.json is the table's OpenRPC document; unknown routes are 404 with a kind")
    func discoveryAndUnknownRoutes() async throws {
        try await ControlPlaneFixture.with { plane in
            let document = try JSONValue(parsing: try await plane.request(.GET, "/openrpc.json").body)
            #expect(document["openrpc"] == "1.3.2")
            let names = document["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("health"))
            let missing = try await plane.request(.GET, "/nope")
            #expect(missing.status == 404)
            #expect(try JSONValue(parsing: missing.body)["kind"] == "not_found")
        }
    }

    @Test("each request is logged with method, path, status and duration, and never with the token")
    func requestLog() async throws {
        try await ControlPlaneFixture.with { plane in
            _ = try await plane.request(.GET, "/health")
            _ = try await plane.request(.GET, "/openrpc.json?token=\(plane.token.value)", authorized: false)
            _ = try await plane.request(.POST, "/rpc", body: #"{"jsonrpc":"2.0","id":1,"method":"count"}"#)
            let lines = plane.logLines.value
            #expect(lines.count == 3)
            #expect(lines[0].contains("GET /health 200 "))
            #expect(lines[1].contains("GET /openrpc.json 401 "))
            #expect(lines[2].contains("POST /rpc 200 "))
            #expect(lines.allSatisfy { $0.hasSuffix("ms") && !$0.contains(plane.token.value) })
        }
    }

    @Test("an absolute-form target naming another host is refused with 421 despite a correct Host (C1)")
    func absoluteFormTargetRefused() async throws {
        try await ControlPlaneFixture.with { plane in
            let port = plane.port
            let body = #"{"jsonrpc":"2.0","id":1,"method":"count"}"#
            let auth = "Authorization: Bearer \(plane.token.value)"
            func send(_ target: String, extra: [String] = []) async throws -> RawHTTP.Reply {
                let lines =
                    ["POST \(target) HTTP/1.1", "Host: 127.0.0.1:\(port)", auth, "Connection: close"] + extra
                    + ["Content-Length: \(body.utf8.count)"]
                return try await RawHTTP.exchange(port: port, lines.joined(separator: "\r\n") + "\r\n\r\n" + body)
            }
            for target in [
                "http://evil.example/rpc", "http://evil.example:\(port)/rpc", "http://127.0.0.1:\(port + 1)/rpc",
                "http://user@127.0.0.1:\(port)/rpc", "https://evil.example/rpc", "ftp://127.0.0.1:\(port)/rpc",
            ] {
                let reply = try await send(target)
                #expect(reply.status == 421, "\(target)")
                #expect(try JSONValue(parsing: reply.body)["kind"] == "host_not_allowed", "\(target)")
            }
            let health = try await plane.raw([
                "GET http://evil.example/health HTTP/1.1", "Host: 127.0.0.1:\(port)", "Connection: close",
            ])
            #expect(health.status == 421, "even the route that needs no token")
            #expect(plane.handlerRuns.value == 0)

            for target in ["http://127.0.0.1:\(port)/rpc", "http://LOCALHOST:\(port)/rpc", "/rpc"] {
                #expect(try await send(target).status == 200, "\(target)")
            }
            let spoofed = try await send("/rpc", extra: ["\(ControlPlaneTests.targetField): http://evil.example/"])
            #expect(spoofed.status == 200, "a client cannot set the recorded target itself")
            #expect(plane.handlerRuns.value == 4)
        }
    }

    static let targetField = "X-OpenWork-Request-Target"

    @Test("logged paths carry no control characters and are bounded, however the request spells them")
    func loggedPathsEscaped() async throws {
        try await ControlPlaneFixture.with { plane in
            let long = "/" + String(repeating: "a", count: 20_000)
            // Whatever the HTTP parser lets through (it may refuse the raw ESC and non-ASCII bytes itself) is escaped.
            for target in ["/x\u{1B}[31my", long, "/caf\u{E9}"] {
                _ = try? await plane.raw([
                    "GET \(target) HTTP/1.1", "Host: 127.0.0.1:\(plane.port)", "Connection: close",
                ])
            }
            let lines = plane.logLines.value
            #expect(lines.contains { $0.contains("GET /aaaa") })
            for line in lines {
                #expect(
                    !line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "\(line.debugDescription)")
                #expect(line.utf8.count < 2_000, "a 20,000-byte path is cut: \(line.utf8.count)")
            }
            #expect(lines.contains { $0.contains("aaaa…") })
        }
        #expect(ControlPlane.loggable("/a\nb\u{1B}[2J\r") == "/a%0Ab%1B[2J%0D")
        #expect(ControlPlane.loggable("/caf\u{E9}") == "/caf%C3%A9")
        #expect(ControlPlane.loggable(String(repeating: "/", count: 600)) == String(repeating: "/", count: 512) + "…")
        #expect(ControlPlane.loggable(String(repeating: "/", count: 512)) == String(repeating: "/", count: 512))
    }

    @Test("a non-loopback bind address is refused")
    func nonLoopbackRefused() async throws {
        for host in ["0.0.0.0", "192.168.1.10", "example.com", "::"] {
            var configuration = ControlPlane.Configuration(token: .generate())
            configuration.host = host
            let plane = ControlPlane(configuration, dispatcher: .init(table: .init(title: "t", version: "0")))
            await #expect(throws: DaemonError.self) { try await plane.run { _ in } }
        }
        #expect(ControlPlane.isLoopback("127.0.0.1"))
        #expect(ControlPlane.isLoopback("localhost"))
        #expect(ControlPlane.isLoopback("::1"))
    }
}

@Suite("daemon token")
struct DaemonTokenTests {
    @Test("tokens are 256 random bits in hex, different every time")
    func fresh() {
        let tokens = (0..<100).map { _ in DaemonToken.generate().value }
        #expect(Set(tokens).count == 100)
        #expect(tokens.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
    }

    @Test("the token file is written 0600, replaced atomically, and read back")
    func file() throws {
        let directory = try TemporaryDirectory("token")
        let path = DaemonToken.path(inDataDirectory: directory.path)
        let first = DaemonToken.generate()
        try first.write(to: path)
        let second = DaemonToken.generate()
        try second.write(to: path)
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(DaemonToken.read(from: path) == second)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(leftovers == ["daemon-token"])
        #expect(DaemonToken.read(from: directory.appending("missing")) == nil)
    }

    @Test("matching compares whole values: prefixes, extensions and repetitions do not match")
    func matching() {
        let token = DaemonToken(value: "abcd")
        #expect(token.matches("abcd"))
        for candidate in ["", "abc", "abcde", "abcdabcd", "ABCD", "abce"] { #expect(!token.matches(candidate)) }
        #expect(!DaemonToken(value: "").matches(""))
    }
}
