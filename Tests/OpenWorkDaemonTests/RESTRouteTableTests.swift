import Foundation
import OpenWorkDaemon
import OpenWorkJSON
import Testing

/// The route table on its own, without a server: what each request maps to, and that the README lists it.
@Suite("REST route table")
struct RESTRouteTableTests {
    @Test(
        "each route maps onto one RPC method with its params",
        arguments: [
            ("GET", "/health", nil, "health", nil),
            ("GET", "/health/", nil, "health", nil),
            ("GET", "/workspaces", nil, "workspace.list", nil),
            ("POST", "/workspaces", nil, "workspace.add", [:]),
            ("POST", "/workspaces/remote", nil, "workspace.addRemote", [:]),
            ("GET", "/workspaces/remote", nil, "workspace.info", ["id": "remote"]),
            ("GET", "/workspaces/ws-1", nil, "workspace.info", ["id": "ws-1"]),
            ("GET", "/workspaces/%2Fsrv%2Fa%20b", nil, "workspace.info", ["id": "/srv/a b"]),
            ("GET", "/workspaces/100%", nil, "workspace.info", ["id": "100%"]),
            ("GET", "/work%73paces/ws-1", nil, "workspace.info", ["id": "ws-1"]),
            ("GET", "/workspaces/proj", "cwd=%2Fhome%2Fme", "workspace.info", ["id": "proj", "cwd": "/home/me"]),
            ("DELETE", "/workspaces/ws-1", nil, "workspace.remove", ["id": "ws-1"]),
            ("POST", "/workspaces/ws-1/activate", nil, "workspace.switch", ["id": "ws-1"]),
            ("GET", "/workspaces/ws-1/path", nil, "workspace.path", ["id": "ws-1"]),
            ("GET", "/workspaces/ws-1/connect", nil, "workspace.connect", ["id": "ws-1"]),
            ("POST", "/instances/ws-1/dispose", nil, "instance.dispose", ["id": "ws-1"]),
            ("GET", "/opencode", nil, "opencode.status", nil),
            ("POST", "/opencode/restart", nil, "opencode.restart", nil),
            ("POST", "/shutdown", nil, "daemon.shutdown", nil),
            ("GET", "/openrpc.json", nil, "rpc.discover", nil),
            ("GET", "/events", nil, "events.subscribe", nil),
            (
                "GET", "/events", "types=opencode.*,workspace.added", "events.subscribe",
                ["types": ["opencode.*", "workspace.added"]]
            ),
            ("GET", "/sidecars", nil, "sidecar.list", nil),
            ("POST", "/sidecars/opencode-router/resolve", nil, "sidecar.resolve", ["name": "opencode-router"]),
            ("GET", "/approvals", "workspace=alpha&cwd=%2Fw", "approvals.list", ["workspace": "alpha", "cwd": "/w"]),
            ("GET", "/approvals", nil, "approvals.list", [:]),
            ("POST", "/approvals/per_1", nil, "approvals.reply", ["id": "per_1"]),
            ("POST", "/host/start", nil, "host.start", [:]),
            ("GET", "/host", nil, "host.status", nil),
            ("POST", "/host/stop", nil, "host.stop", nil),
        ] as [(String, String, String?, String, JSONValue?)])
    func mapping(method: String, path: String, query: String?, rpcMethod: String, params: JSONValue?) throws {
        let match = try #require(RESTRoute.match(method: method, path: path), "\(method) \(path)")
        #expect(match.route.rpcMethod == rpcMethod)
        #expect(match.params(query: query, body: nil) == params)
    }

    @Test(
        "requests no row fits match nothing",
        arguments: [
            ("GET", "/nope"), ("PUT", "/workspaces"), ("GET", "/workspaces/a/b/c"), ("GET", "/rpc"),
            ("GET", "/sidecars/opencode/resolve"), ("PATCH", "/health"), ("GET", "/"),
        ])
    func unmatched(method: String, path: String) {
        #expect(RESTRoute.match(method: method, path: path) == nil)
    }

    @Test("a body's members come first; the path's parameters and the named query parameters win over them")
    func bodyMembers() throws {
        let info = try #require(RESTRoute.match(method: "DELETE", path: "/workspaces/ws-1"))
        #expect(
            info.params(query: "cwd=%2Fq&other=x", body: ["id": "body", "cwd": "/b", "extra": true])
                == ["id": "ws-1", "cwd": "/q", "extra": true])
        let resolve = try #require(RESTRoute.match(method: "POST", path: "/sidecars/opencode/resolve"))
        #expect(
            resolve.params(query: "cwd=%2Fq", body: ["source": "downloaded"])
                == ["name": "opencode", "source": "downloaded"])
        let restart = try #require(RESTRoute.match(method: "POST", path: "/opencode/restart"))
        #expect(restart.params(query: nil, body: ["wait": false]) == ["wait": false])
        let shutdown = try #require(RESTRoute.match(method: "POST", path: "/shutdown"))
        #expect(shutdown.params(query: nil, body: ["ignored": true]) == nil)
    }

    @Test("every row matches its own example path, a percent-encoded path in each parameter, and nothing earlier")
    func everyRowMatchesItsExample() throws {
        #expect(Set(RESTRoute.table.map(\.description)).count == RESTRoute.table.count, "no row twice")
        for route in RESTRoute.table {
            let example = route.pattern.split(separator: "/")
                .map { $0.hasPrefix(":") ? "%2Ftmp%2Fx" : String($0) }
                .joined(separator: "/")
            let match = try #require(RESTRoute.match(method: route.method, path: "/" + example), "\(route)")
            #expect(match.route == route, "\(route) is served by \(match.route)")
            #expect(match.parameters == route.parameterNames.map { _ in "/tmp/x" })
            #expect(
                route.rpcMethod != nil || route.params == .message || route.params == .openAPI,
                "\(route) names its method")
        }
    }

    @Test("the README's route list is the table's")
    func readmeListsTheTable() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- routes: generated from RESTRoute.table -->\n"))
        let end = try #require(text.range(of: "\n<!-- /routes -->", range: start.upperBound..<text.endIndex))
        let listed = String(text[start.upperBound..<end.lowerBound])
        #expect(
            listed == RESTRoute.markdownTable,
            "replace the README's list with RESTRoute.markdownTable:\n\(RESTRoute.markdownTable)")
    }
}
