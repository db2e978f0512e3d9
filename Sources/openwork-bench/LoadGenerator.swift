import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkSystem
import OpenWorkTesting

/// One HTTP request to repeat under load.
struct LoadTarget: Sendable {
    var url: String
    var method = "GET"
    var headers: [String: String] = [:]
    var body: String?
}

/// Requests per second and latency under a fixed number of concurrent connections.
struct LoadResult: Sendable {
    var requestsPerSecond: Double
    /// Milliseconds.
    var p50: Double
    var p99: Double
    /// `wrk` or `AsyncHTTPClient`.
    var tool: String
}

/// Load against an HTTP endpoint: `wrk` when it is installed (a C load generator in its own process), else
/// AsyncHTTPClient from this process. Both sides of a comparison always use the same generator.
enum LoadGenerator {
    static let connections = 16

    static var wrk: String? {
        ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var toolName: String { wrk == nil ? "AsyncHTTPClient (wrk not installed)" : "wrk -t1 -c\(connections)" }

    static func run(_ target: LoadTarget, seconds: Int, scratch: TemporaryDirectory, http: HTTPClient) async throws
        -> LoadResult
    {
        if let wrk { return try await runWrk(wrk, target, seconds: seconds, scratch: scratch) }
        return try await runClient(target, seconds: seconds, http: http)
    }

    /// The request (headers, a bearer token, the body) goes into a 0600 Lua script, never onto wrk's argv.
    static func runWrk(_ wrk: String, _ target: LoadTarget, seconds: Int, scratch: TemporaryDirectory) async throws
        -> LoadResult
    {
        var script = "wrk.method = \"\(target.method)\"\n"
        if let body = target.body { script += "wrk.body = [==[\(body)]==]\n" }
        for (name, value) in target.headers.sorted(by: { $0.key < $1.key }) {
            script += "wrk.headers[\"\(name)\"] = [==[\(value)]==]\n"
        }
        let path = scratch.appending("wrk-\(UUID().uuidString).lua")
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o600])
        else { throw BenchError("cannot write \(path)") }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = try TestProcess(
            wrk, ["-t1", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", path, target.url])
        let output = try await process.readRemainingOutput(within: .seconds(seconds + 60))
        let exit = try await process.waitForExit(within: .seconds(30))
        guard exit.code == 0 else { throw BenchError("wrk \(exit): \(output) \(process.errorOutput)") }
        let report = try WrkReport(parsing: output)
        guard report.failedResponses == 0 else {
            throw BenchError("wrk: \(report.failedResponses) non-2xx answers from \(target.method) \(target.url)")
        }
        return LoadResult(requestsPerSecond: report.requestsPerSecond, p50: report.p50, p99: report.p99, tool: "wrk")
    }

    static func runClient(_ target: LoadTarget, seconds: Int, http: HTTPClient) async throws -> LoadResult {
        let end = ContinuousClock.now + .seconds(seconds)
        let start = ContinuousClock.now
        let samples = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var local = Samples()
                    while ContinuousClock.now < end {
                        var request = HTTPClientRequest(url: target.url)
                        request.method = HTTPMethod(rawValue: target.method)
                        for (name, value) in target.headers { request.headers.add(name: name, value: value) }
                        if let body = target.body { request.body = .bytes(ByteBuffer(string: body)) }
                        try await local.time {
                            let response = try await http.execute(request, timeout: .seconds(10))
                            _ = try await response.body.collect(upTo: 1 << 24)
                            guard response.status.code < 300 else {
                                throw BenchError("\(target.method) \(target.url): \(response.status.code)")
                            }
                        }
                    }
                    return local.values
                }
            }
            var all = Samples()
            for try await part in group {
                for value in part { all.append(value) }
            }
            return all
        }
        let elapsed = Samples.seconds(ContinuousClock.now - start)
        return LoadResult(
            requestsPerSecond: Double(samples.count) / elapsed, p50: samples.p50, p99: samples.p99,
            tool: "AsyncHTTPClient")
    }
}

/// What the benchmark reads from `wrk --latency`'s report.
struct WrkReport: Sendable, Equatable {
    var requestsPerSecond: Double
    /// Milliseconds.
    var p50: Double
    var p99: Double
    var failedResponses: Int

    init(requestsPerSecond: Double, p50: Double, p99: Double, failedResponses: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.p50 = p50
        self.p99 = p99
        self.failedResponses = failedResponses
    }

    /// Parses the `Latency Distribution` block (`50%  259.00us`), `Requests/sec:` and
    /// `Non-2xx or 3xx responses:`.
    init(parsing text: String) throws {
        var rate: Double?
        var percentiles: [String: Double] = [:]
        var failed = 0
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.contains("Requests/sec:"), let last = fields.last { rate = Double(last) }
            if line.contains("Non-2xx or 3xx responses:"), let last = fields.last { failed = Int(last) ?? 0 }
            if fields.count == 2, fields[0].hasSuffix("%"), let value = Self.milliseconds(String(fields[1])) {
                percentiles[String(fields[0])] = value
            }
        }
        guard let rate, let p50 = percentiles["50%"], let p99 = percentiles["99%"] else {
            throw BenchError("unexpected wrk output: \(text)")
        }
        self.init(requestsPerSecond: rate, p50: p50, p99: p99, failedResponses: failed)
    }

    /// `259.00us`, `1.23ms`, `2.00s`, `1.00m` in milliseconds.
    static func milliseconds(_ text: String) -> Double? {
        for (unit, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1_000.0), ("m", 60_000.0)] where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { $0 * scale }
        }
        return nil
    }
}

/// A benchmark that could not be measured; the run stops and BENCHMARKS.md is left as it was.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
