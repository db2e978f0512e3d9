import AsyncHTTPClient
import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

/// The engine's figures against `fake-opencode`: restart latency after SIGKILL, and a warm workspace switch
/// compared with restarting opencode in the other workspace (what tools without routing do).
enum EngineBench {
    static func run(quick: Bool) async throws {
        let fake = BuiltProducts.path(of: "fake-opencode")
        print("\n## Engine (against fake-opencode, which starts in ~12 ms; a real opencode takes far longer)\n")
        let kills = try await killToReady(fake: fake, runs: quick ? 10 : 100)
        print("| measure | p50 ms | p95 ms | p99 ms | runs |")
        print("|---|---|---|---|---|")
        print(
            "| SIGKILL → replacement ready (default policy: 250 ms restart floor) | \(p(kills, 50)) | \(p(kills, 95)) | \(p(kills, 99)) | \(kills.count) |"
        )
        let (warm, restart) = try await switching(fake: fake, runs: quick ? 20 : 200, restarts: quick ? 10 : 50)
        print(
            "| `workspace.switch` + `workspace.path`, warm instance | \(p(warm, 50)) | \(p(warm, 95)) | \(p(warm, 99)) | \(warm.count) |"
        )
        print(
            "| baseline: stop opencode, start it in the other workspace, `GET /path` | \(p(restart, 50)) | \(p(restart, 95)) | \(p(restart, 99)) | \(restart.count) |"
        )
        let ratio = median(restart) / max(median(warm), 0.001)
        print("\nA warm switch is **\(String(format: "%.0f", ratio))×** faster than restarting opencode (p50 vs p50).")
    }

    static func engine(fake: String, root: TemporaryDirectory) -> Engine.Configuration {
        var configuration = Engine.Configuration(
            dataDirectory: DataDirectory(path: root.appending("data")), environment: ProcessInfo.processInfo.environment
        )
        configuration.opencodeExecutable = fake
        return configuration
    }

    /// Each run: a fresh engine, opencode ready, SIGKILL, time until a new child is ready.
    static func killToReady(fake: String, runs: Int) async throws -> [Double] {
        var samples: [Double] = []
        for _ in 0..<runs {
            let root = try TemporaryDirectory("bench-kill")
            let directory = try root.makeDirectories("w")[0]
            let sample = try await Engine.run(engine(fake: fake, root: root)) { engine in
                _ = try await engine.add(path: directory, name: nil, cwd: nil)
                _ = try await engine.path(directory, cwd: nil)
                guard let pid = await engine.supervisor.status["pid"]?.int64Value else { return 0.0 }
                let start = ContinuousClock.now
                kill(Int32(pid), SIGKILL)
                while true {
                    let status = await engine.supervisor.status
                    if status["state"] == "ready", let current = status["pid"]?.int64Value, current != pid { break }
                    try await Task.sleep(for: .milliseconds(1))
                }
                return milliseconds(ContinuousClock.now - start)
            }
            samples.append(sample)
        }
        return samples
    }

    static func switching(fake: String, runs: Int, restarts: Int) async throws -> ([Double], [Double]) {
        let root = try TemporaryDirectory("bench-switch")
        let directories = try root.makeDirectories("w/a", "w/b")
        let warm = try await Engine.run(engine(fake: fake, root: root)) { engine in
            for directory in directories {
                _ = try await engine.add(path: directory, name: nil, cwd: nil)
                _ = try await engine.path(directory, cwd: nil)
            }
            var samples: [Double] = []
            for index in 0..<runs {
                let target = directories[index % 2]
                let start = ContinuousClock.now
                _ = try await engine.activate(target, cwd: nil)
                _ = try await engine.path(target, cwd: nil)
                samples.append(milliseconds(ContinuousClock.now - start))
            }
            return samples
        }
        var restart: [Double] = []
        let http = OpenCodeClient.makeHTTPClient()
        let client = OpenCodeClient(http: http)
        var current = try await startOpenCode(fake: fake, in: directories[0], client: client)
        for index in 0..<restarts {
            let target = directories[(index + 1) % 2]
            let start = ContinuousClock.now
            await current.process.stop(grace: .seconds(5))
            current = try await startOpenCode(fake: fake, in: target, client: client)
            _ = try await client.path(current.endpoint, directory: target, timeout: .seconds(10))
            restart.append(milliseconds(ContinuousClock.now - start))
        }
        await current.process.stop(grace: .seconds(5))
        try await http.shutdown()
        return (warm, restart)
    }

    /// The old way: `opencode serve` started in the workspace directory, waited for until healthy.
    static func startOpenCode(fake: String, in directory: String, client: OpenCodeClient) async throws
        -> (process: ChildProcess, endpoint: OpenCodeEndpoint)
    {
        let password = Supervisor.randomSecret()
        var environment = ProcessInfo.processInfo.environment
        environment["OPENCODE_SERVER_PASSWORD"] = password
        let process = try ChildProcess(
            executable: fake, arguments: ["serve", "--hostname", "127.0.0.1", "--port", "0"], environment: environment,
            workingDirectory: directory)
        var baseURL: String?
        for await line in process.outputLines {
            baseURL = Supervisor.listeningURL(in: line)
            if baseURL != nil { break }
        }
        let endpoint = OpenCodeEndpoint(baseURL: baseURL ?? "", username: "opencode", password: password)
        while (try? await client.health(endpoint, timeout: .seconds(2)))?["healthy"] != true {
            try await Task.sleep(for: .milliseconds(1))
        }
        return (process, endpoint)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func p(_ values: [Double], _ percentile: Int) -> String {
        let sorted = values.sorted()
        let index = min(sorted.count - 1, Int((Double(percentile) / 100 * Double(sorted.count)).rounded(.up)) - 1)
        return String(format: "%.1f", sorted[max(0, index)])
    }
}
