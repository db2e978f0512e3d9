import Foundation
import OpenWorkJSON
import OpenWorkSidecars
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// Download, verification and cache behaviour against a real local HTTP server serving copies of the fake.
@Suite(.serialized) struct SidecarDownloadTests {
    let asset = "opencode-linux-x64"

    @Test func happyPathDownloadsVerifiesAndInstallsExecutable() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.fakeBytes
        try await AssetServer.with { server in
            server.serve("/release/\(asset)", bytes)
            server.serve(
                "/release/manifest.json",
                SidecarFixture.manifest(targets: ["linux-x64": SidecarFixture.target(asset, bytes)]))
            let settings = fixture.settings(
                manifest: server.baseURL + "/release/manifest.json", base: server.baseURL + "/release")
            let events = EventLog()
            let resolution = try await SidecarFixture.resolving(settings, events: events) {
                try await $0.resolve(.opencode)
            }
            #expect(resolution.source == .downloaded)
            #expect(resolution.verified)
            #expect(resolution.downloaded)
            #expect(resolution.version == "1.18.33")
            #expect(resolution.path == fixture.sidecarDir + "/1.18.33/linux-x64/\(asset)")
            #expect(resolution.sha256 == SidecarFixture.sha256(bytes))
            var info = stat()
            #expect(stat(resolution.path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o755)
            #expect(fixture.cacheFiles() == ["1.18.33/linux-x64/\(asset)"])
            #expect(server.hitCount("/release/\(asset)") == 1)
            let progress = events.all("sidecar.progress")
            #expect(progress.count >= 2)
            #expect(progress.last?["received"] == .integer(Int64(bytes.count)))
            #expect(events.types.last == "sidecar.resolved")
        }
    }

    @Test func flippedByteIsRefusedAndNothingIsInstalled() async throws {
        let fixture = try SidecarFixture()
        var bytes = SidecarFixture.script()
        let manifest = SidecarFixture.manifest(targets: ["linux-x64": SidecarFixture.target(asset, bytes)])
        bytes[bytes.count / 2] ^= 0x01
        try await AssetServer.with { server in
            server.serve("/\(asset)", bytes)
            server.serve("/manifest.json", manifest)
            let settings = fixture.settings(manifest: server.baseURL + "/manifest.json", base: server.baseURL)
            let error = await resolutionError {
                _ = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
            }
            #expect(error?.code == .sidecarIntegrity)
            #expect(error?.message.contains("SHA-256") == true)
            #expect(fixture.cacheFiles().isEmpty)
        }
    }

    @Test(arguments: [1, -1])
    func wrongSizeIsRefusedAndNothingIsInstalled(delta: Int) async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.script()
        let manifest = SidecarFixture.manifest(
            targets: ["linux-x64": SidecarFixture.target(asset, bytes, size: bytes.count + delta)])
        try await AssetServer.with { server in
            server.serve("/\(asset)", bytes)
            server.serve("/manifest.json", manifest)
            let settings = fixture.settings(manifest: server.baseURL + "/manifest.json", base: server.baseURL)
            let error = await resolutionError {
                _ = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
            }
            #expect(error?.code == .sidecarIntegrity)
            #expect(fixture.cacheFiles().isEmpty)
        }
    }

    @Test func missingAssetIsADownloadFailure() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.script()
        try await AssetServer.with { server in
            server.serve(
                "/manifest.json", SidecarFixture.manifest(targets: ["linux-x64": SidecarFixture.target(asset, bytes)]))
            let settings = fixture.settings(manifest: server.baseURL + "/manifest.json", base: server.baseURL)
            let error = await resolutionError {
                _ = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
            }
            #expect(error?.code == .sidecarDownloadFailed)
            #expect(error?.message.contains("HTTP 404") == true)
            #expect(fixture.cacheFiles().isEmpty)
        }
    }

    @Test func unreachableManifestIsAClearError() async throws {
        let fixture = try SidecarFixture()
        // Port 9 (discard) on loopback: nothing listens there.
        let settings = fixture.settings(manifest: "http://127.0.0.1:9/manifest.json", source: .downloaded)
        let error = await resolutionError {
            _ = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
        }
        #expect(error?.code == .sidecarManifestUnreachable)
        #expect(error?.message.contains("http://127.0.0.1:9/manifest.json") == true)
    }

    @Test func malformedManifestsAreClearErrors() async throws {
        let fixture = try SidecarFixture()
        let cases: [(String, String)] = [
            ("{not json", "not JSON"),
            (
                #"{"entries":{"opencode":{"version":"1.0.0","targets":{"linux-x64":{"asset":"../x","sha256":"00","size":1}}}}}"#,
                "asset"
            ),
            (
                #"{"entries":{"opencode":{"version":"1.0.0","targets":{"linux-x64":{"asset":"x","sha256":"zz","size":1}}}}}"#,
                "sha256"
            ),
            (
                #"{"entries":{"opencode":{"version":"1.0.0","targets":{"linux-x64":{"asset":"x","sha256":"\#(String(repeating: "a", count: 64))"}}}}}"#,
                "size"
            ),
            (#"{"entries":{"opencode":{"version":"../../etc","targets":{}}}}"#, "version"),
        ]
        for (index, (text, mention)) in cases.enumerated() {
            let path = fixture.root.appending("manifest-\(index).json")
            try fixture.write(Array(text.utf8), to: path)
            let error = await resolutionError {
                _ = try await SidecarFixture.resolving(fixture.settings(manifest: path)) {
                    try await $0.resolve(.opencode)
                }
            }
            #expect(error?.code == .sidecarManifestInvalid, "\(text)")
            #expect(error?.message.contains(mention) == true, "\(error?.message ?? "") should mention \(mention)")
        }
    }

    @Test func serverClosingMidDownloadLeavesNothingAndTheNextRunSucceeds() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.padded(size: 8 << 20)
        try await AssetServer.with { server in
            server.serve("/\(asset)", bytes)
            server.breakMidway("/\(asset)")
            server.serve(
                "/manifest.json", SidecarFixture.manifest(targets: ["linux-x64": SidecarFixture.target(asset, bytes)]))
            let settings = fixture.settings(manifest: server.baseURL + "/manifest.json", base: server.baseURL)
            let error = await resolutionError {
                _ = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
            }
            #expect(error?.code == .sidecarDownloadFailed || error?.code == .sidecarIntegrity)
            #expect(fixture.cacheFiles().isEmpty)
            server.breakMidway("/\(asset)", false)
            let resolution = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
            #expect(resolution.verified && resolution.downloaded)
            #expect(fixture.cacheFiles() == ["1.18.33/linux-x64/\(asset)"])
        }
    }

    @Test func aPartialFileLeftByAKilledDownloadIsNeverRunAndIsCleanedUp() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.script()
        let directory = fixture.sidecarDir + "/1.18.33/linux-x64"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try fixture.write(Array(bytes.prefix(5)), to: directory + "/.\(asset).partial-123-456", mode: 0o600)
        try await AssetServer.with { server in
            server.serve("/\(asset)", bytes)
            server.serve(
                "/manifest.json", SidecarFixture.manifest(targets: ["linux-x64": SidecarFixture.target(asset, bytes)]))
            let settings = fixture.settings(manifest: server.baseURL + "/manifest.json", base: server.baseURL)
            let resolution = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
            #expect(resolution.path == directory + "/\(asset)")
            #expect(fixture.cacheFiles() == ["1.18.33/linux-x64/\(asset)"])
        }
    }

    @Test func tenConcurrentResolutionsShareOneDownload() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.padded(size: 4 << 20)
        try await AssetServer.with { server in
            server.serve("/\(asset)", bytes)
            server.serve(
                "/manifest.json", SidecarFixture.manifest(targets: ["linux-x64": SidecarFixture.target(asset, bytes)]))
            let settings = fixture.settings(manifest: server.baseURL + "/manifest.json", base: server.baseURL)
            // Ten independent resolvers (as ten processes would be): they share only the cache directory.
            let results = try await withThrowingTaskGroup(of: SidecarResolution.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) } }
                }
                var results: [SidecarResolution] = []
                for try await result in group { results.append(result) }
                return results
            }
            #expect(results.count == 10)
            #expect(Set(results.map(\.path)).count == 1)
            #expect(results.allSatisfy { $0.verified && $0.version == "1.18.33" })
            #expect(results.filter(\.downloaded).count == 1)
            #expect(server.hitCount("/\(asset)") == 1)
            #expect(fixture.cacheFiles() == ["1.18.33/linux-x64/\(asset)"])
        }
    }

    @Test func cacheHitNeedsNoNetworkAndACorruptedCacheIsReplaced() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.script()
        let manifestPath = fixture.root.appending("manifest.json")
        let path = try await AssetServer.with { server in
            server.serve("/\(asset)", bytes)
            try fixture.write(
                SidecarFixture.manifest(
                    targets: ["linux-x64": SidecarFixture.target(asset, bytes, url: server.baseURL + "/\(asset)")]),
                to: manifestPath)
            let first = try await SidecarFixture.resolving(fixture.settings(manifest: manifestPath)) {
                try await $0.resolve(.opencode)
            }
            #expect(first.downloaded)
            // A corrupted cached copy is noticed and downloaded again.
            try fixture.write(SidecarFixture.script(version: "6.6.6"), to: first.path, mode: 0o755)
            let events = EventLog()
            let second = try await SidecarFixture.resolving(
                fixture.settings(manifest: "file://" + manifestPath), events: events
            ) {
                try await $0.resolve(.opencode)
            }
            #expect(second.downloaded && second.version == "1.18.33")
            #expect(events.types.contains("sidecar.cache_replaced"))
            #expect(server.hitCount("/\(asset)") == 2)
            return second.path
        }
        // The server is gone now: the verified cache is enough.
        let third = try await SidecarFixture.resolving(fixture.settings(manifest: manifestPath)) {
            try await $0.resolve(.opencode)
        }
        #expect(third.path == path)
        #expect(!third.downloaded && third.verified)
    }

    @Test func versionMismatchOfAVerifiedDownloadIsAnError() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.script(version: "1.0.0")
        let manifestPath = fixture.root.appending("manifest.json")
        try await AssetServer.with { server in
            server.serve("/\(asset)", bytes)
            try fixture.write(
                SidecarFixture.manifest(targets: ["linux-x64": SidecarFixture.target(asset, bytes)]), to: manifestPath)
            let error = await resolutionError {
                _ = try await SidecarFixture.resolving(fixture.settings(manifest: manifestPath, base: server.baseURL)) {
                    try await $0.resolve(.opencode)
                }
            }
            #expect(error?.code == .sidecarVersionMismatch)
            #expect(error?.message.contains("1.0.0") == true && error?.message.contains("1.18.33") == true)
        }
    }

    @Test func unknownTargetsAreRefusedWithWhatWasTried() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.script()
        let manifestPath = fixture.root.appending("manifest.json")
        try fixture.write(
            SidecarFixture.manifest(targets: ["darwin-arm64": SidecarFixture.target(asset, bytes)]), to: manifestPath)
        let missing = await resolutionError {
            _ = try await SidecarFixture.resolving(fixture.settings(manifest: manifestPath)) {
                try await $0.resolve(.opencode)
            }
        }
        #expect(missing?.code == .sidecarNotFound)
        #expect(missing?.message.contains("no linux-x64 build of opencode") == true)
        #expect(missing?.message.contains("--opencode-bin") == true)
        let resolver = SidecarResolver(
            settings: fixture.settings(manifest: manifestPath, source: .downloaded),
            target: .failure(HostTarget.UnsupportedHost(system: "Linux", machine: "riscv64")))
        let unsupported = await resolutionError { _ = try await resolver.resolve(.opencode) }
        await resolver.shutdown()
        #expect(unsupported?.code == .sidecarNotFound)
        #expect(unsupported?.message.contains("riscv64") == true)
    }
}
