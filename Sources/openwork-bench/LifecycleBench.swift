import AsyncHTTPClient
import Foundation
import NIOCore
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

/// Instance lifecycle figures against `fake-opencode` (issue 19): opencode's resident memory with 50 workspaces
/// touched once, then idle, with idle eviction on and off; the first request after an eviction (cold) against a
/// warm one; and hot reload's latency from a file write to `instance.reloaded`. Same-run ratios, reported, never
/// asserted.
enum LifecycleBench {
    /// Each fake instance holds this much, allocated and written (`FAKE_OPENCODE_INSTANCE_MEMORY_MIB`).
    static let instanceMiB = 4

    static func run(quick: Bool) async throws {
        let fake = BuiltProducts.path(of: "fake-opencode")
        let workspaces = quick ? 20 : 50
        print("\n## Instance lifecycle (against fake-opencode, \(instanceMiB) MiB held per instance)\n")
        let off = try await memory(fake: fake, workspaces: workspaces, ttl: nil)
        let on = try await memory(fake: fake, workspaces: workspaces, ttl: .seconds(1))
        print("| \(workspaces) workspaces touched once, then idle 4 s | peak MiB | settled MiB | samples |")
        print("|---|---|---|---|")
        print("| eviction off (no TTL) | \(mib(off.peak)) | \(mib(off.settled)) | \(off.samples) |")
        print("| eviction on (`--instance-idle-ttl 1s`) | \(mib(on.peak)) | \(mib(on.settled)) | \(on.samples) |")
        let (cold, warm) = try await coldAndWarm(fake: fake, runs: quick ? 10 : 50)
        let reloads = try await reloadLatency(fake: fake, runs: quick ? 3 : 10, watcher: .automatic)
        let polled = try await reloadLatency(fake: fake, runs: quick ? 3 : 10, watcher: .poll)
        print("\n| measure | p50 ms | p95 ms | runs |")
        print("|---|---|---|---|")
        func row(_ label: String, _ samples: Samples) {
            print("| \(label) | \(Figure.ms(samples.p50)) | \(Figure.ms(samples.p95)) | \(samples.count) |")
        }
        row("first `workspace.path` after the instance was evicted (cold: boots it)", cold)
        row("`workspace.path` of a warm instance", warm)
        row("`opencode.json` written → `instance.reloaded` (inotify, debounce 700 ms)", reloads)
        row("`opencode.json` written → `instance.reloaded` (polling every 500 ms, debounce 700 ms)", polled)
        print(
            """

            - Settled memory with eviction on is **\(Figure.ratio(on.settled, off.settled))** of eviction off \
            (\(mib(on.settled)) against \(mib(off.settled)) MiB); the peak is the same work either way \
            (\(mib(on.peak)) and \(mib(off.peak)) MiB).
            - A cold first request costs **\(Figure.ratio(cold.p50, warm.p50))** of a warm one at p50 (the fake \
            boots an instance in about a millisecond; a real opencode starts MCP servers and LSPs: seconds).
            - Reload latency minus the 700 ms debounce: \(Figure.ms(reloads.p50 - 700)) ms at p50 with inotify \
            (the lifecycle tick, the content check and the dispose), \(Figure.ms(polled.p50 - 700)) ms when \
            polled; the issue's bound is debounce + 1 s.
            """)
    }

    static func mib(_ bytes: Double) -> String { String(format: "%.1f", bytes / 1_048_576) }

    static func engine(fake: String, root: TemporaryDirectory, _ adjust: (inout LifecycleSettings) -> Void)
        -> Engine.Configuration
    {
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_OPENCODE_INSTANCE_MEMORY_MIB"] = String(instanceMiB)
        environment["FAKE_OPENCODE_INTROSPECTION"] = "1"
        var configuration = Engine.Configuration(
            dataDirectory: DataDirectory(path: root.appending("data")), environment: environment)
        configuration.opencodeExecutable = fake
        configuration.lifecycle = LifecycleSettings()
        adjust(&configuration.lifecycle)
        return configuration
    }

    /// The fake's resident bytes, from `/__fake/state`.
    static func resident(_ engine: Engine, http: HTTPClient) async throws -> Double {
        let endpoint = try await engine.supervisor.readyEndpoint(within: .seconds(60)).endpoint
        let response = try await http.execute(
            HTTPClientRequest(url: endpoint.baseURL + "/__fake/state"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let state = try JSONValue(parsing: Array(body.readableBytesView))
        guard let bytes = state["residentBytes"]?.int64Value else { throw BenchError("no residentBytes") }
        return Double(bytes)
    }

    /// Touches `workspaces` workspaces once each, then idles 4 s sampling the fake's memory every 250 ms.
    static func memory(fake: String, workspaces: Int, ttl: Duration?) async throws
        -> (peak: Double, settled: Double, samples: Int)
    {
        let root = try TemporaryDirectory("bench-lifecycle-memory")
        let directories = try (0..<workspaces).map { try root.makeDirectories("w/\($0)")[0] }
        let configuration = engine(fake: fake, root: root) { settings in
            settings.idleTTL = ttl
            settings.hotReload = false
        }
        let http = OpenCodeClient.makeHTTPClient()
        let outcome = try await Engine.run(configuration) { engine in
            var peak = 0.0
            var last = 0.0
            var samples = 0
            for directory in directories {
                _ = try await engine.add(path: directory, name: nil, cwd: nil)
                _ = try await engine.path(directory, cwd: nil)
            }
            let end = ContinuousClock.now + .seconds(4)
            while ContinuousClock.now < end {
                last = try await resident(engine, http: http)
                peak = max(peak, last)
                samples += 1
                try await Task.sleep(for: .milliseconds(250))
            }
            return (peak, last, samples)
        }
        try await http.shutdown()
        return outcome
    }

    /// The first `workspace.path` after a disposal (what an eviction leaves) against one of a warm instance.
    static func coldAndWarm(fake: String, runs: Int) async throws -> (Samples, Samples) {
        let root = try TemporaryDirectory("bench-lifecycle-cold")
        let directory = try root.makeDirectories("w")[0]
        let configuration = engine(fake: fake, root: root) { $0.idleTTL = nil }
        return try await Engine.run(configuration) { engine in
            _ = try await engine.add(path: directory, name: nil, cwd: nil)
            _ = try await engine.path(directory, cwd: nil)
            var cold = Samples()
            var warm = Samples()
            for _ in 0..<runs {
                _ = try await engine.dispose(directory, cwd: nil)
                _ = try await cold.time { try await engine.path(directory, cwd: nil) }
                _ = try await warm.time { try await engine.path(directory, cwd: nil) }
            }
            return (cold, warm)
        }
    }

    /// From writing a changed `opencode.json` to the engine's `instance.reloaded`, the instance warm each time.
    static func reloadLatency(fake: String, runs: Int, watcher: LifecycleSettings.Watcher) async throws -> Samples {
        let root = try TemporaryDirectory("bench-lifecycle-reload")
        let directory = try root.makeDirectories("w")[0]
        let configuration = engine(fake: fake, root: root) { settings in
            settings.idleTTL = nil
            settings.cooldown = .zero
            settings.watcher = watcher
        }
        return try await Engine.run(configuration) { engine in
            _ = try await engine.add(path: directory, name: nil, cwd: nil)
            let (events, finish) = engine.events.subscription()
            let reloaded = Locked(0)
            let counter = Task {
                for await event in events where event["type"] == "instance.reloaded" {
                    reloaded.withLock { $0 += 1 }
                }
            }
            defer {
                finish()
                counter.cancel()
            }
            var samples = Samples()
            for index in 0..<runs {
                _ = try await engine.path(directory, cwd: nil)
                // Past the polling watcher's first look, so the write is a change it sees.
                try await Task.sleep(for: .milliseconds(600))
                let start = ContinuousClock.now
                try Data("{\"model\":\"fake/\(index)\"}".utf8).write(
                    to: URL(fileURLWithPath: directory + "/opencode.json"))
                while reloaded.withLock({ $0 }) <= index {
                    guard ContinuousClock.now < start + .seconds(30) else {
                        throw BenchError("no instance.reloaded within 30 s")
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
                samples.append(ContinuousClock.now - start)
            }
            return samples
        }
    }
}
