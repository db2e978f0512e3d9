import AsyncHTTPClient
import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

/// The engine's figures against `fake-opencode`: restart latency after SIGKILL, and a warm workspace switch
/// compared with restarting opencode in the other workspace (what tools without routing do).
enum EngineBench {
    static func run(quick: Bool) async throws {
        let fake = BuiltProducts.path(of: "fake-opencode")
        print("\n## Engine (against fake-opencode, which starts in ~12 ms; a real opencode takes seconds)\n")
        let (warm, floor, restart, coldStart) = try await switching(
            fake: fake, runs: quick ? 20 : 200, restarts: quick ? 10 : 50)
        let kills = try await killToReady(fake: fake, runs: quick ? 10 : 100)
        let floorMs = Samples.milliseconds(RestartPolicy().floor)
        let ideal = Samples(coldStart.values.map { $0 + floorMs })
        print("| measure | p50 ms | p95 ms | p99 ms | runs |")
        print("|---|---|---|---|---|")
        func row(_ label: String, _ samples: Samples) {
            print(
                "| \(label) | \(Figure.ms(samples.p50)) | \(Figure.ms(samples.p95)) | \(Figure.ms(samples.p99)) | \(samples.count) |"
            )
        }
        row("`workspace.switch` + first `workspace.path`, warm instance", warm)
        row("**baseline**: one durable write of the state file + one `GET /path` to the same opencode", floor)
        row("**baseline**: stop opencode, start it in the other workspace, `GET /path`", restart)
        row("SIGKILL → replacement ready (default policy)", kills)
        row(
            "**baseline**: the policy's \(Figure.ms(floorMs)) ms restart floor + fake-opencode exec → healthy by hand",
            ideal)
        print(
            """

            - A warm switch + path costs **\(Figure.ratio(warm.p50, floor.p50))** of one durable state write plus one \
            loopback round trip to opencode at p50 (goal ≤ 1.5×; \(Figure.ratio(warm.p99, floor.p99)) at p99): the \
            rest is the engine's own work (registry lookup, routing, JSON).
            - A warm switch is **\(Figure.ratio(restart.p50, warm.p50))** faster than restarting opencode at p50 \
            and **\(Figure.ratio(restart.p99, warm.p99))** at p99.
            - SIGKILL → ready costs \(Figure.ratio(kills.p50, ideal.p50)) of the floor + cold start at p50 \
            (\(Figure.ratio(kills.p95, ideal.p95)) at p95): what detection, backoff and the ready check add. \
            Target R1 (p95 under 2 s): **\(kills.p95 < 2_000 ? "met" : "missed")** (p95 \(Figure.ms(kills.p95)) ms).
            """)
    }

    static func engine(fake: String, root: TemporaryDirectory) -> Engine.Configuration {
        var configuration = Engine.Configuration(
            dataDirectory: DataDirectory(path: root.appending("data")), environment: ProcessInfo.processInfo.environment
        )
        configuration.opencodeExecutable = fake
        return configuration
    }

    /// Each run: a fresh engine, opencode ready, SIGKILL, time until a new child is ready.
    static func killToReady(fake: String, runs: Int) async throws -> Samples {
        var samples = Samples()
        for _ in 0..<runs {
            let root = try TemporaryDirectory("bench-kill")
            let directory = try root.makeDirectories("w")[0]
            let sample = try await Engine.run(engine(fake: fake, root: root)) { engine in
                _ = try await engine.add(path: directory, name: nil, cwd: nil)
                _ = try await engine.path(directory, cwd: nil)
                let killed = await engine.supervisor.snapshot
                guard let pid = killed.pid else { throw BenchError("opencode has no pid after workspace.path") }
                let start = ContinuousClock.now
                kill(pid, SIGKILL)
                do {
                    // Resumed by the transition to ready of the replacement.
                    _ = try await engine.supervisor.readyEndpoint(within: .seconds(60), newerThan: killed.generation)
                } catch {
                    throw BenchError("no replacement opencode within 60 s: \(error)")
                }
                return milliseconds(ContinuousClock.now - start)
            }
            samples.append(sample)
        }
        return samples
    }

    static func switching(fake: String, runs: Int, restarts: Int) async throws -> (Samples, Samples, Samples, Samples) {
        let root = try TemporaryDirectory("bench-switch")
        let directories = try root.makeDirectories("w/a", "w/b")
        let configuration = engine(fake: fake, root: root)
        let (warm, floor) = try await Engine.run(configuration) { engine in
            for directory in directories {
                _ = try await engine.add(path: directory, name: nil, cwd: nil)
                _ = try await engine.path(directory, cwd: nil)
            }
            // The floor, in the same run and interleaved with the samples: what a switch and a path cannot
            // avoid (the registry's durable write of the same bytes, one loopback round trip to opencode).
            let endpoint = try await engine.supervisor.readyEndpoint(within: .seconds(60)).endpoint
            let http = OpenCodeClient.makeHTTPClient()
            let client = OpenCodeClient(http: http)
            let state = configuration.dataDirectory.statePath
            let copy = configuration.dataDirectory.path + "/bench-floor.json"
            var samples = Samples()
            var floor = Samples()
            for index in 0..<runs {
                let target = directories[index % 2]
                let start = ContinuousClock.now
                _ = try await engine.activate(target, cwd: nil)
                _ = try await engine.path(target, cwd: nil)
                samples.append(milliseconds(ContinuousClock.now - start))
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: state)))
                let floorStart = ContinuousClock.now
                try DurableFile.write(bytes, to: copy, keepPreviousAt: copy + ".prev")
                _ = try await client.path(endpoint, directory: target, timeout: .seconds(10))
                floor.append(milliseconds(ContinuousClock.now - floorStart))
            }
            try await http.shutdown()
            return (samples, floor)
        }
        var restart = Samples()
        var coldStart = Samples()
        let http = OpenCodeClient.makeHTTPClient()
        let client = OpenCodeClient(http: http)
        var current = try await startOpenCode(fake: fake, in: directories[0], client: client)
        for index in 0..<restarts {
            let target = directories[(index + 1) % 2]
            let start = ContinuousClock.now
            await current.process.stop(grace: .seconds(5))
            let started = ContinuousClock.now
            current = try await startOpenCode(fake: fake, in: target, client: client)
            coldStart.append(ContinuousClock.now - started)
            _ = try await client.path(current.endpoint, directory: target, timeout: .seconds(10))
            restart.append(ContinuousClock.now - start)
        }
        await current.process.stop(grace: .seconds(5))
        try await http.shutdown()
        return (warm, floor, restart, coldStart)
    }

    /// The old way: `opencode serve` started in the workspace directory, waited for until healthy.
    static func startOpenCode(fake: String, in directory: String, client: OpenCodeClient) async throws
        -> (process: ChildProcess, endpoint: OpenCodeEndpoint)
    {
        let password = OpenCodeService.randomSecret()
        var environment = ProcessInfo.processInfo.environment
        environment["OPENCODE_SERVER_PASSWORD"] = password
        let process = try ChildProcess(
            executable: fake, arguments: ["serve", "--hostname", "127.0.0.1", "--port", "0"], environment: environment,
            workingDirectory: directory)
        var baseURL: String?
        for await line in process.outputLines {
            baseURL = OpenCodeService.listeningURL(in: line)
            if baseURL != nil { break }
        }
        guard let baseURL else {
            await process.stop(grace: .seconds(5))
            throw BenchError("fake-opencode exited without a listening line")
        }
        let endpoint = OpenCodeEndpoint(baseURL: baseURL, username: "opencode", password: password)
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? await client.health(endpoint, timeout: .seconds(2)))?["healthy"] != true {
            guard ContinuousClock.now < deadline else {
                await process.stop(grace: .seconds(5))
                throw BenchError("fake-opencode not healthy within 30 s")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        return (process, endpoint)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
    }
}
