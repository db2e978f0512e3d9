import Foundation
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkSidecars
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A manifest host that cannot be reached is `sidecar_manifest_unreachable`, found out quickly and only once.
@Suite("sidecar manifest reachability", .timeLimit(.minutes(2)))
struct SidecarManifestReachabilityTests {

    @Test(
        "a refused connection and a name that does not resolve are sidecar_manifest_unreachable",
        arguments: ["closed port", "DNS failure"])
    func unreachable(kind: String) async throws {
        let fixture = try SidecarFixture()
        let url =
            kind == "closed port"
            ? "http://127.0.0.1:\(try LoopbackPort.closed())/manifest.json"
            : "http://openwork-sidecars.invalid/manifest.json"
        var settings = fixture.settings(manifest: url, source: .downloaded)
        settings.connectTimeout = SidecarSettings(directory: "", baseURL: "", manifestLocation: "").connectTimeout
        let error = await resolutionError {
            _ = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
        }
        #expect(error?.code == .sidecarManifestUnreachable, "\(String(describing: error))")
        #expect(error?.details["manifest"] == .string(url))
        #expect(error?.rpcError.code == -32_007)
    }

    @Test("sidecar list asks a failing manifest host once, not once per sidecar")
    func listFetchesOnce() async throws {
        let fixture = try SidecarFixture()
        try await AssetServer.with { server in
            let settings = fixture.settings(manifest: server.baseURL + "/manifest.json", source: .downloaded)
            let list = try await SidecarFixture.resolving(settings) { await $0.list() }
            let items = list["sidecars"]?.arrayValue ?? []
            #expect(items.count == SidecarName.allCases.count)
            #expect(items.allSatisfy { $0["error"]?["kind"] == "sidecar_manifest_invalid" }, "\(items)")
            #expect(server.hitCount("/manifest.json") == 1)
        }
    }
}
