import OpenWorkDaemon
import OpenWorkJSON
import Testing

/// The sidecar routes of the control plane map onto `sidecar.list` and `sidecar.resolve`.
struct SidecarRouteTests {
    @Test func sidecarRoutes() {
        #expect(
            RESTRoute.match(method: "GET", path: "/sidecars", query: nil, body: nil)
                == .call(method: "sidecar.list", params: nil))
        #expect(
            RESTRoute.match(
                method: "POST", path: "/sidecars/opencode/resolve", query: nil, body: ["source": "downloaded"])
                == .call(method: "sidecar.resolve", params: ["name": "opencode", "source": "downloaded"]))
        #expect(
            RESTRoute.match(method: "POST", path: "/sidecars/opencode-router/resolve", query: nil, body: nil)
                == .call(method: "sidecar.resolve", params: ["name": "opencode-router"]))
        #expect(RESTRoute.match(method: "GET", path: "/sidecars/opencode/resolve", query: nil, body: nil) == .notFound)
        #expect(RESTRoute.table.contains { $0 == ("GET", "/sidecars", "sidecar.list") })
        #expect(RESTRoute.table.contains { $0 == ("POST", "/sidecars/:name/resolve", "sidecar.resolve") })
    }
}
