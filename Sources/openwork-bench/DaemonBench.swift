import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

/// A detached `openwork daemon` started for the benchmark on a private data directory (with the fake opencode
/// and the `test.*` methods), and what a request to it needs.
struct BenchDaemon: Sendable {
    let root: TemporaryDirectory
    let environment: [String: String]
    let baseURL: String
    let pid: Int32
    let token: String
    /// A 0600 file holding the `Authorization` header, for `curl -H @file`: the token never goes on argv.
    let headersFile: String
    /// Resident memory right after start, before any request.
    let idleKiB: Int

    static func start(openwork: String) async throws -> BenchDaemon {
        let root = try TemporaryDirectory("bench-daemon")
        let data = root.appending("data")
        var environment = ProcessInfo.processInfo.environment
        environment["OPENWORK_DATA_DIR"] = data
        environment["OPENWORK_OPENCODE_BIN"] = BuiltProducts.path(of: "fake-opencode")
        environment["OPENWORK_ENABLE_TEST_METHODS"] = "1"
        let started = try await DaemonBench.output(openwork, ["daemon", "start", "--json"], environment)
        guard let baseURL = started["baseUrl"]?.stringValue, let pid = started["pid"]?.intValue else {
            throw BenchError("openwork daemon start did not start a daemon: \(started)")
        }
        let idle = ProcessIdentity.residentKiB(of: Int32(pid)) ?? 0
        let token = try String(contentsOfFile: data + "/daemon-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let headers = root.appending("headers")
        guard
            FileManager.default.createFile(
                atPath: headers, contents: Data("Authorization: Bearer \(token)\n".utf8),
                attributes: [.posixPermissions: 0o600])
        else { throw BenchError("cannot write \(headers)") }
        return BenchDaemon(
            root: root, environment: environment, baseURL: baseURL, pid: Int32(pid), token: token,
            headersFile: headers, idleKiB: idle)
    }

    func rpcRequest(_ body: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + "/rpc")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        return request
    }

    func rpcTarget(_ body: String) -> LoadTarget {
        LoadTarget(
            url: baseURL + "/rpc", method: "POST",
            headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"], body: body)
    }

    /// `openwork daemon stop`, then checks that the process is gone.
    func stop(openwork: String) async throws {
        _ = try await DaemonBench.output(openwork, ["daemon", "stop", "--json"], environment)
        let deadline = ContinuousClock.now + .seconds(30)
        while !ProcessIdentity.isGone(pid), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        guard ProcessIdentity.isGone(pid) else { throw BenchError("daemon \(pid) still running after daemon stop") }
    }
}

/// The control plane's figures: CLI wall time against `curl` of the same endpoint, `GET /health` against a
/// bare Hummingbird server, and the daemon's resident memory as it grows, each beside its baseline.
enum DaemonBench {
    static func run(quick: Bool, openwork: String, daemon: BenchDaemon, http: HTTPClient) async throws {
        print("\n## Control plane (`openwork daemon`)\n")
        let runs = quick ? 10 : 30
        let curl = "/usr/bin/curl"
        let pairs: [(String, [String], [String])] = [
            (
                "`openwork workspace list --json`", [openwork, "workspace", "list", "--json"],
                [curl, "-sf", "-H", "@\(daemon.headersFile)", daemon.baseURL + "/workspaces"]
            ),
            ("`openwork status --json`", [openwork, "status", "--json"], [curl, "-sf", daemon.baseURL + "/health"]),
        ]
        let measured = try await Hyperfine.measure(
            pairs.flatMap { [$0.1, $0.2] }, runs: runs, environment: daemon.environment, scratch: daemon.root)
        print("Whole-process wall time, \(runs) runs each after 3 warm-ups, with \(Hyperfine.toolName).\n")
        print("| command | p50 ms | p99 ms | `curl` of the same endpoint: p50 ms | p99 ms | ratio p50 (goal ≤ 1.5×) |")
        print("|---|---|---|---|---|---|")
        for (index, pair) in pairs.enumerated() {
            let ours = measured[2 * index]
            let theirs = measured[2 * index + 1]
            print(
                "| \(pair.0) | \(Figure.ms(ours.p50)) | \(Figure.ms(ours.p99)) | \(Figure.ms(theirs.p50)) | \(Figure.ms(theirs.p99)) | \(Figure.ratio(ours.p50, theirs.p50)) |"
            )
        }

        let hello = try TestProcess(BuiltProducts.path(of: "openwork-bench-hello"))
        guard let line = try await hello.readLine(within: .seconds(30)), line.hasPrefix("listening "),
            let port = Int(line.dropFirst("listening ".count))
        else {
            await hello.stop()
            throw BenchError("the hello-world server did not start: \(hello.errorOutput)")
        }
        let helloIdle = ProcessIdentity.residentKiB(of: hello.pid) ?? 0
        let seconds = quick ? 1 : 3
        var ours: [LoadResult] = []
        var ceiling: [LoadResult] = []
        for _ in 0..<2 {
            ceiling.append(
                try await LoadGenerator.run(
                    LoadTarget(url: "http://127.0.0.1:\(port)/hello"), seconds: seconds, scratch: daemon.root,
                    http: http))
            ours.append(
                try await LoadGenerator.run(
                    LoadTarget(url: daemon.baseURL + "/health"), seconds: seconds, scratch: daemon.root, http: http))
        }
        let helloLoaded = ProcessIdentity.residentKiB(of: hello.pid) ?? 0
        let daemonLoaded = ProcessIdentity.residentKiB(of: daemon.pid) ?? 0
        await hello.stop()
        func mean(_ results: [LoadResult], _ key: KeyPath<LoadResult, Double>) -> Double {
            results.map { $0[keyPath: key] }.reduce(0, +) / Double(results.count)
        }
        print(
            "\nLoad: \(LoadGenerator.toolName), \(seconds) s per run, two alternating runs each (mean shown).\n"
        )
        print("| endpoint | requests/s | p50 µs | p99 µs | share of the framework's ceiling |")
        print("|---|---|---|---|---|")
        print(
            "| `GET /health` (control plane: Host/Origin checks, JSON body) | \(Figure.count(mean(ours, \.requestsPerSecond))) | \(Figure.us(mean(ours, \.p50))) | \(Figure.us(mean(ours, \.p99))) | \(String(format: "%.0f%%", 100 * mean(ours, \.requestsPerSecond) / mean(ceiling, \.requestsPerSecond))) |"
        )
        print(
            "| **baseline**: bare Hummingbird `GET /hello` (`openwork-bench-hello`) | \(Figure.count(mean(ceiling, \.requestsPerSecond))) | \(Figure.us(mean(ceiling, \.p50))) | \(Figure.us(mean(ceiling, \.p99))) | 100% |"
        )

        let directories = try (0..<1_000).map { try daemon.root.makeDirectories("w/\($0)")[0] }
        for chunk in stride(from: 0, to: directories.count, by: 100) {
            let batch = directories[chunk..<min(chunk + 100, directories.count)].enumerated().map { index, path in
                "{\"jsonrpc\":\"2.0\",\"id\":\(index),\"method\":\"workspace.add\",\"params\":{\"path\":\"\(path)\"}}"
            }
            let response = try await http.execute(
                daemon.rpcRequest("[" + batch.joined(separator: ",") + "]"), timeout: .seconds(120))
            let body = try await response.body.collect(upTo: 1 << 24)
            guard response.status.code == 200, !String(buffer: body).contains("\"error\"") else {
                throw BenchError("workspace.add batch failed: \(String(buffer: body).prefix(300))")
            }
        }
        let withWorkspaces = ProcessIdentity.residentKiB(of: daemon.pid) ?? 0
        let calls = quick ? 1_000 : 10_000
        for _ in 0..<calls / 100 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        let response = try await http.execute(
                            daemon.rpcRequest(#"{"jsonrpc":"2.0","id":1,"method":"health"}"#), timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        guard response.status.code == 200 else { throw BenchError("health: \(response.status.code)") }
                    }
                }
                try await group.waitForAll()
            }
        }
        let afterCalls = ProcessIdentity.residentKiB(of: daemon.pid) ?? 0
        print("\n| resident memory (VmRSS) | daemon MiB | bare Hummingbird MiB | ratio |")
        print("|---|---|---|---|")
        print(
            "| idle, right after start | \(Figure.mebibytes(kib: daemon.idleKiB)) | \(Figure.mebibytes(kib: helloIdle)) | \(Figure.ratio(Double(daemon.idleKiB), Double(helloIdle))) |"
        )
        print(
            "| after the round-trip and load runs above | \(Figure.mebibytes(kib: daemonLoaded)) | \(Figure.mebibytes(kib: helloLoaded)) | \(Figure.ratio(Double(daemonLoaded), Double(helloLoaded))) |"
        )
        print(
            "| after the load runs and with 1,000 workspaces | \(Figure.mebibytes(kib: withWorkspaces)) | — | \(Figure.ratio(Double(withWorkspaces), Double(helloLoaded))) |"
        )
        print(
            "| after \(Figure.count(Double(calls))) more `health` calls (100 concurrent) | \(Figure.mebibytes(kib: afterCalls)) | — | \(Figure.ratio(Double(afterCalls), Double(helloLoaded))) |"
        )
    }

    static func output(_ executable: String, _ arguments: [String], _ environment: [String: String]) async throws
        -> JSONValue
    {
        let process = try TestProcess(executable, arguments, environment: environment)
        let text = try await process.readRemainingOutput(within: .seconds(30))
        _ = try await process.waitForExit(within: .seconds(30))
        return (try? JSONValue(parsing: text)) ?? .string(text)
    }
}
