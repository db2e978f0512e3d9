import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A manifest host that cannot be reached is `sidecar_manifest_unreachable`, found out quickly and only once.
@Suite("sidecar manifest reachability", .timeLimit(.minutes(2)))
struct SidecarManifestReachabilityTests {
    /// A loopback port nothing listens on: bound, then closed.
    static func closedPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test(
        "a refused connection and a name that does not resolve are sidecar_manifest_unreachable",
        arguments: ["closed port", "DNS failure"])
    func unreachable(kind: String) async throws {
        let fixture = try SidecarFixture()
        let url =
            kind == "closed port"
            ? "http://127.0.0.1:\(try Self.closedPort())/manifest.json"
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
