import Foundation
import OpenWorkJSON
import OpenWorkSidecars
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// Bundled and external sources, the policy's decision order, settings from flags and environment.
struct SidecarSourceTests {
    @Test func bundledBinaryIsVerifiedAgainstVersionsJSON() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.script()
        try fixture.write(bytes, to: fixture.bundleDir + "/opencode", mode: 0o755)
        let versions: JSONValue = ["opencode": ["version": "1.18.33", "sha256": .string(SidecarFixture.sha256(bytes))]]
        try fixture.write(try versions.serializedBytes(), to: fixture.bundleDir + "/versions.json")
        // The manifest is never read: the bundle comes first.
        let settings = fixture.settings(manifest: "http://127.0.0.1:9/never.json", bundle: true)
        let resolution = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
        #expect(resolution.source == .bundled && resolution.verified && resolution.version == "1.18.33")
        #expect(resolution.path == fixture.bundleDir + "/opencode")

        try fixture.write(SidecarFixture.script(version: "1.18.34"), to: fixture.bundleDir + "/opencode", mode: 0o755)
        let error = await resolutionError {
            _ = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
        }
        #expect(error?.code == .sidecarIntegrity)
    }

    @Test func bundledSourceWithoutABundleSaysWhatWasTried() async throws {
        let fixture = try SidecarFixture()
        let settings = fixture.settings(manifest: "http://127.0.0.1:9/never.json", source: .bundled, bundle: true)
        let error = await resolutionError {
            _ = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
        }
        #expect(error?.code == .sidecarNotFound)
        #expect(error?.message.contains("versions.json") == true)
    }

    @Test func externalOnPathNeedsAllowExternal() async throws {
        let fixture = try SidecarFixture()
        try fixture.write(SidecarFixture.script(), to: fixture.pathDir + "/opencode", mode: 0o755)
        let refused = await resolutionError {
            _ = try await SidecarFixture.resolving(
                fixture.settings(manifest: "http://127.0.0.1:9/never.json", source: .external)
            ) { try await $0.resolve(.opencode) }
        }
        #expect(refused?.code == .sidecarExternalRefused)
        #expect(refused?.message.contains("--allow-external") == true)
        #expect(refused?.message.contains(fixture.pathDir + "/opencode") == true)

        let allowed = try await SidecarFixture.resolving(
            fixture.settings(manifest: "http://127.0.0.1:9/never.json", source: .external, allowExternal: true)
        ) { try await $0.resolve(.opencode) }
        #expect(allowed.source == .external && !allowed.verified && allowed.origin == "path")
        #expect(allowed.path == fixture.pathDir + "/opencode")
    }

    @Test func explicitBinaryIsExternalAndAVersionMismatchIsOnlyAWarning() async throws {
        let fixture = try SidecarFixture()
        let binary = fixture.root.appending("my-opencode")
        try fixture.write(SidecarFixture.script(version: "1.2.0"), to: binary, mode: 0o755)
        let bundled = SidecarFixture.script()
        try fixture.write(
            try (["opencode": ["version": "1.18.33", "sha256": .string(SidecarFixture.sha256(bundled))]] as JSONValue)
                .serializedBytes(),
            to: fixture.bundleDir + "/versions.json")
        var settings = fixture.settings(manifest: "http://127.0.0.1:9/never.json", bundle: true)
        settings.explicitPaths[.opencode] = binary
        #expect(settings.source(for: .opencode) == .external)
        let events = EventLog()
        let resolution = try await SidecarFixture.resolving(settings, events: events) {
            try await $0.resolve(.opencode)
        }
        #expect(resolution.source == .external && resolution.origin == "explicit" && !resolution.verified)
        #expect(resolution.version == "1.2.0" && resolution.expectedVersion == "1.18.33")
        #expect(resolution.warnings.count == 1)
        #expect(events.all("sidecar.version_mismatch").count == 1)

        settings.explicitPaths[.opencode] = fixture.root.appending("missing")
        let error = await resolutionError {
            _ = try await SidecarFixture.resolving(settings) { try await $0.resolve(.opencode) }
        }
        #expect(error?.code == .sidecarNotFound)
        #expect(error?.message.contains("--opencode-bin") == true)
    }

    @Test func autoOrderIsBundledExplicitDownloadPath() {
        func facts(
            bundle: SidecarFacts.Bundle = .absent("no versions.json"), explicit: String? = nil,
            manifest: SidecarFacts.Manifest = .notLoaded, path: String? = nil, allow: Bool = false
        ) -> SidecarFacts {
            SidecarFacts(
                name: .opencode, source: .auto, allowExternal: allow, explicitPath: explicit, bundle: bundle,
                manifest: manifest, manifestLocation: "m.json", target: .success("linux-x64"), pathCandidate: path)
        }
        let asset = SidecarManifest.Asset(asset: "a", sha256: String(repeating: "0", count: 64), size: 1, url: nil)
        let full = SidecarManifest(
            version: nil, entries: ["opencode": .init(version: "1.0.0", targets: ["linux-x64": asset])])
        let empty = SidecarManifest(version: nil, entries: [:])
        let bundle = SidecarFacts.Bundle.present(path: "/b/opencode", version: "1.0.0", sha256: asset.sha256)

        guard
            case .use(.bundled, let ignored) = SidecarPolicy.decide(
                facts(bundle: bundle, explicit: "/x", manifest: .loaded(full)))
        else {
            Issue.record("bundled first")
            return
        }
        #expect(ignored.count == 1 && ignored[0].contains("/x not used"), "an ignored explicit path is reported")
        guard case .use(.external(path: "/x", origin: "explicit"), _) = SidecarPolicy.decide(facts(explicit: "/x"))
        else {
            Issue.record("explicit second")
            return
        }
        guard case .loadManifest = SidecarPolicy.decide(facts(path: "/usr/bin/opencode", allow: true))
        else {
            Issue.record("the manifest is read before PATH")
            return
        }
        guard case .use(.download, let skipped) = SidecarPolicy.decide(facts(manifest: .loaded(full))),
            skipped.count == 2
        else {
            Issue.record("download third, with the skipped steps")
            return
        }
        guard
            case .use(.external(_, origin: "path"), _) = SidecarPolicy.decide(
                facts(manifest: .loaded(empty), path: "/usr/bin/opencode", allow: true))
        else {
            Issue.record("PATH last")
            return
        }
        guard
            case .refuse(let refusal) = SidecarPolicy.decide(facts(manifest: .loaded(empty), path: "/usr/bin/opencode"))
        else {
            Issue.record("PATH without --allow-external is refused")
            return
        }
        #expect(refusal.code == .sidecarExternalRefused)
        #expect(refusal.details["tried"]?.arrayValue?.count == 4)
        let failure = OpenWorkError(.sidecarManifestInvalid, "cannot fetch")
        guard case .refuse(let error) = SidecarPolicy.decide(facts(manifest: .failed(failure), path: "/p", allow: true))
        else {
            Issue.record("an unreachable manifest is an error, not a fallback to PATH")
            return
        }
        #expect(error.code == .sidecarManifestInvalid)
    }

    @Test func settingsFollowFlagThenEnvironmentThenDefault() throws {
        let environment = [
            "OPENWORK_SIDECAR_DIR": "/env/sidecars", "OPENWORK_SIDECAR_SOURCE": "downloaded",
            "OPENWORK_OPENCODE_SOURCE": "bundled", "OPENWORK_ALLOW_EXTERNAL": "yes",
            "OPENWORK_OPENCODE_ROUTER_BIN": "/env/router",
        ]
        var flags = SidecarSettings.Flags()
        flags.sidecarDir = "/flag/sidecars"
        flags.allowExternal = false
        let settings = try SidecarSettings.resolve(
            flags, environment: environment, dataDirectory: "/data", bundleDirectory: nil,
            release: "openwork-orchestrator-v0.11.165")
        #expect(settings.directory == "/flag/sidecars")
        #expect(settings.source == .downloaded)
        #expect(settings.source(for: .opencode) == .bundled)
        #expect(settings.source(for: .opencodeRouter) == .downloaded)
        #expect(settings.allowExternal == false)
        #expect(settings.explicitPaths[.opencodeRouter] == "/env/router")
        #expect(
            settings.manifestLocation
                == "https://github.com/different-ai/openwork/releases/download/openwork-orchestrator-v0.11.165/openwork-orchestrator-sidecars.json"
        )
        let defaults = try SidecarSettings.resolve(
            SidecarSettings.Flags(), environment: [:], dataDirectory: "/data", bundleDirectory: nil)
        #expect(defaults.directory == "/data/sidecars" && defaults.source == .auto && !defaults.allowExternal)
        #expect(SidecarSettings.compatibleOrchestratorRelease == "openwork-orchestrator-v0.18.0")
        #expect(
            defaults.manifestLocation
                == "https://github.com/different-ai/openwork/releases/download/openwork-orchestrator-v0.18.0/openwork-orchestrator-sidecars.json",
            "the default names the compatible orchestrator release, never our own version")
        #expect(!defaults.manifestLocation.contains("v\(OpenWorkVersion.current)/"))
        #expect(defaults.connectTimeout <= .seconds(2))
        #expect(throws: OpenWorkError.self) {
            try SidecarSettings.resolve(
                SidecarSettings.Flags(), environment: ["OPENWORK_SIDECAR_SOURCE": "sometimes"], dataDirectory: "/d",
                bundleDirectory: nil)
        }
    }

    @Test func hostTargets() {
        #expect(HostTarget.target(system: "Linux", machine: "x86_64") == "linux-x64")
        #expect(HostTarget.target(system: "Linux", machine: "aarch64") == "linux-arm64")
        #expect(HostTarget.target(system: "Darwin", machine: "arm64") == "darwin-arm64")
        #expect(HostTarget.target(system: "Darwin", machine: "x86_64") == "darwin-x64")
        #expect(HostTarget.target(system: "Linux", machine: "riscv64") == nil)
        #expect(HostTarget.target(system: "FreeBSD", machine: "amd64") == nil)
        #expect((try? HostTarget.current().get()) != nil)
    }
}
