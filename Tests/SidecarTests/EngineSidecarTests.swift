import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSidecars
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// The engine finds opencode through the sidecar resolution and reports where it came from.
@Suite(.timeLimit(.minutes(2))) struct EngineSidecarTests {
    func engine(_ fixture: SidecarFixture, manifest: String, source: SidecarSource) -> Engine.Configuration {
        var configuration = Engine.Configuration(
            dataDirectory: DataDirectory(path: fixture.root.appending("data")),
            environment: ["PATH": fixture.pathDir, "HOME": fixture.root.path])
        var settings = fixture.settings(manifest: manifest)
        settings.directory = fixture.root.appending("data/sidecars")
        settings.sources[.opencode] = source
        configuration.sidecars = settings
        configuration.readyDeadline = .seconds(20)
        configuration.tuneSupervisor = { opencode in
            opencode.startTimeout = .seconds(20)
            opencode.stop.grace = .seconds(2)
        }
        return configuration
    }

    /// A manifest pinning the built fake, served from its own path (`file://`).
    func fakeManifest(_ fixture: SidecarFixture) throws -> String {
        let path = fixture.root.appending("sidecars.json")
        let target = try HostTarget.current().get()
        let pin = try #require(
            SidecarManifest.pin(file: FakeOpenCode.path, asset: "opencode", url: "file://" + FakeOpenCode.path))
        let manifest = SidecarManifest(
            version: nil, entries: ["opencode": .init(version: "1.18.33", targets: [target: pin])])
        try fixture.write(try manifest.json.serializedBytes(), to: path)
        return path
    }

    @Test func concurrentCallsShareOneResolutionAndHealthSaysWhereOpencodeCameFrom() async throws {
        let fixture = try SidecarFixture()
        let project = try fixture.root.makeDirectories("project")[0]
        let configuration = engine(fixture, manifest: try fakeManifest(fixture), source: .downloaded)
        try await Engine.run(configuration) { engine in
            let events = engine.events.subscribe()
            let before = await engine.health()
            #expect(before.opencode.source == nil)
            let id = try await engine.add(path: project, name: nil, cwd: nil).workspace.workspace.id
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { _ = try await engine.path(id, cwd: nil) } }
                try await group.waitForAll()
            }
            let health = await engine.health()
            let source = try #require(health.opencode.source)
            #expect(source.source == .downloaded && source.verified)
            #expect(source.path.hasPrefix(fixture.root.appending("data/sidecars/1.18.33/")))
            #expect(health.opencode.snapshot.phase == .ready)
            let pid = try #require(health.opencode.snapshot.pid)
            // The supervised process runs the verified copy, not the original.
            let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
            #expect(exe == source.path)
            var resolved = 0
            for await event in events {
                if event["type"] == "sidecar.resolved" { resolved += 1 }
                if event["type"] == "instance.created" { break }
            }
            #expect(resolved == 1)
        }
    }

    @Test func aFailedResolutionIsTheCallsErrorAndRegistryWorkGoesOn() async throws {
        let fixture = try SidecarFixture()
        let project = try fixture.root.makeDirectories("project")[0]
        let missing = fixture.root.appending("missing.json")
        try await Engine.run(engine(fixture, manifest: missing, source: .downloaded)) { engine in
            let id = try await engine.add(path: project, name: nil, cwd: nil).workspace.workspace.id
            let error = await resolutionError { _ = try await engine.path(id, cwd: nil) }
            #expect(error?.code == .sidecarManifestInvalid)
            #expect(await engine.supervisor.snapshot.pid == nil)
            #expect(try await engine.list().workspaces.count == 1)
            // Fixed: the next call resolves and starts opencode.
            try FileManager.default.copyItem(atPath: try fakeManifest(fixture), toPath: missing)
            #expect(try await engine.path(id, cwd: nil).path["directory"] == .string(project))
        }
    }
}
