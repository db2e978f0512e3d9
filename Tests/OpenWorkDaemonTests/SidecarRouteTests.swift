import OpenWorkDaemon
import OpenWorkJSON
import Testing

/// The sidecar routes of the control plane map onto `sidecar.list` and `sidecar.resolve`.
struct SidecarRouteTests {
    @Test func sidecarRoutes() throws {
        let list = try #require(RESTRoute.match(method: "GET", path: "/sidecars"))
        #expect(list.route.rpcMethod == "sidecar.list")
        #expect(list.params(query: nil, body: nil) == nil)
        let resolve = try #require(RESTRoute.match(method: "POST", path: "/sidecars/opencode/resolve"))
        #expect(resolve.route.rpcMethod == "sidecar.resolve")
        #expect(
            resolve.params(query: nil, body: ["source": "downloaded"]) == ["name": "opencode", "source": "downloaded"])
        let router = try #require(RESTRoute.match(method: "POST", path: "/sidecars/opencode-router/resolve"))
        #expect(router.params(query: nil, body: nil) == ["name": "opencode-router"])
        #expect(RESTRoute.match(method: "GET", path: "/sidecars/opencode/resolve") == nil)
    }
}
