import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkCore
import OpenWorkJSON
import OpenWorkTesting

/// The control plane's figures: CLI wall time against `curl` of the same endpoint, requests per second, and
/// the daemon's resident memory as it grows.
enum DaemonBench {
    static func run(quick: Bool, openwork: String) async throws {
        let root = try TemporaryDirectory("bench-daemon")
        let data = root.appending("data")
        var environment = ProcessInfo.processInfo.environment
        environment["OPENWORK_DATA_DIR"] = data
        environment["OPENWORK_OPENCODE_BIN"] = BuiltProducts.path(of: "fake-opencode")
        let started = try await output(openwork, ["daemon", "start", "--json"], environment)
        guard let baseURL = started["baseUrl"]?.stringValue, let pid = started["pid"]?.intValue else {
            print("\n## Control plane\n\n(daemon did not start: \(started))")
            return
        }
        let token = try String(contentsOfFile: data + "/daemon-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // curl reads the token from a 0600 header file: never on its command line.
        let headers = root.appending("headers")
        _ = FileManager.default.createFile(
            atPath: headers, contents: Data("Authorization: Bearer \(token)\n".utf8),
            attributes: [.posixPermissions: 0o600])
        let runs = quick ? 5 : 20
        print("\n## Control plane (`openwork daemon`)\n")
        print("| command | median ms | `curl` of the same endpoint, ms | ratio (goal ≤ 1.5×) |")
        print("|---|---|---|---|")
        for (label, arguments, curl) in [
            (
                "`openwork workspace list --json`", ["workspace", "list", "--json"],
                ["-s", "-H", "@\(headers)", baseURL + "/workspaces"]
            ),
            ("`openwork status --json`", ["status", "--json"], ["-s", baseURL + "/health"]),
        ] {
            let ours = try await median(runs) { _ = try await output(openwork, arguments, environment) }
            let theirs = try await median(runs) {
                _ = try await output("/usr/bin/curl", curl, environment, json: false)
            }
            print("| \(label) | \(format(ours)) | \(format(theirs)) | \(String(format: "%.2f", ours / theirs))× |")
        }

        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let idle = residentKiB(Int32(pid))
        print("\n| load (16 concurrent clients, \(quick ? 1 : 3) s) | requests/s |")
        print("|---|---|")
        let duration: Duration = .seconds(quick ? 1 : 3)
        let health = try await load(http, duration: duration) { HTTPClientRequest(url: baseURL + "/health") }
        print("| `GET /health` | \(Bench.format(health)) |")
        let rpc = try await load(http, duration: duration) {
            var request = HTTPClientRequest(url: baseURL + "/rpc")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"workspace.list"}"#))
            return request
        }
        print("| `POST /rpc` (`workspace.list`) | \(Bench.format(rpc)) |")

        let directories = try (0..<1_000).map { try root.makeDirectories("w/\($0)")[0] }
        for chunk in stride(from: 0, to: directories.count, by: 100) {
            let batch = directories[chunk..<min(chunk + 100, directories.count)].enumerated().map { index, path in
                "{\"jsonrpc\":\"2.0\",\"id\":\(index),\"method\":\"workspace.add\",\"params\":{\"path\":\"\(path)\"}}"
            }
            var request = HTTPClientRequest(url: baseURL + "/rpc")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.body = .bytes(ByteBuffer(string: "[" + batch.joined(separator: ",") + "]"))
            _ = try await http.execute(request, timeout: .seconds(120)).body.collect(upTo: 1 << 24)
        }
        let withWorkspaces = residentKiB(Int32(pid))
        for _ in 0..<(quick ? 1_000 : 10_000) / 100 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        var request = HTTPClientRequest(url: baseURL + "/rpc")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.body = .bytes(ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"health"}"#))
                        _ = try await http.execute(request, timeout: .seconds(30)).body.collect(upTo: 1 << 20)
                    }
                }
                try await group.waitForAll()
            }
        }
        let afterCalls = residentKiB(Int32(pid))
        try await http.shutdown()
        print("\n| daemon resident memory | MiB |")
        print("|---|---|")
        print("| idle, after start | \(mebibytes(idle)) |")
        print("| after the load runs and 1,000 workspaces | \(mebibytes(withWorkspaces)) |")
        print("| after \(quick ? "1,000" : "10,000") more calls | \(mebibytes(afterCalls)) |")
        _ = try await output(openwork, ["daemon", "stop", "--json"], environment)
    }

    static func output(_ executable: String, _ arguments: [String], _ environment: [String: String], json: Bool = true)
        async throws -> JSONValue
    {
        let process = try TestProcess(executable, arguments, environment: environment)
        let text = try await process.readRemainingOutput(within: .seconds(30))
        _ = try await process.waitForExit(within: .seconds(30))
        return json ? (try? JSONValue(parsing: text)) ?? .string(text) : .null
    }

    static func median(_ runs: Int, _ body: () async throws -> Void) async throws -> Double {
        try await body()
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            try await body()
            samples.append(EngineBench.milliseconds(ContinuousClock.now - start))
        }
        return samples.sorted()[samples.count / 2]
    }

    static func load(_ http: HTTPClient, duration: Duration, _ make: @escaping @Sendable () -> HTTPClientRequest)
        async throws
        -> Double
    {
        let end = ContinuousClock.now + duration
        let start = ContinuousClock.now
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var done = 0
                    while ContinuousClock.now < end {
                        _ = try await http.execute(make(), timeout: .seconds(10)).body.collect(upTo: 1 << 20)
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(count) / Bench.seconds(ContinuousClock.now - start)
    }

    static func residentKiB(_ pid: Int32) -> Int { ProcessIdentity.residentKiB(of: pid) ?? 0 }

    static func mebibytes(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }

    static func format(_ milliseconds: Double) -> String { String(format: "%.1f", milliseconds) }
}
