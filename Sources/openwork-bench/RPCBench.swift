import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkTesting

/// JSON-RPC round trips through each transport, against the in-process dispatcher (parse + dispatch +
/// serialize) measured in the same run: what each transport adds to the same work.
enum RPCBench {
    /// Requests kept in flight by the pipelined stdio client; its latency column is one window's round trip.
    static let window = 256

    static func run(quick: Bool, openwork: String, daemon: BenchDaemon, http: HTTPClient) async throws {
        print("\n## JSON-RPC round trips\n")
        print("| path | requests/s | p50 µs | p99 µs | in-process rate ÷ this rate |")
        print("|---|---|---|---|---|")
        let scale = quick ? 10 : 1
        var table = MethodTable(title: "bench", version: "1")
        table.register(RPCMethod("noop", summary: "", result: .init("", schema: [:])) { _ in true })
        let dispatcher = Dispatcher(table: table)
        let request = RPCRequest(id: 1, method: "noop")
        let typed = await inProcess(iterations: 200_000 / scale) { _ = await dispatcher.handle(request) }
        let line = Array(#"{"jsonrpc":"2.0","id":1,"method":"noop"}"#.utf8)
        let baseline = await inProcess(iterations: 200_000 / scale) { _ = await dispatcher.handle(text: line) }
        func row(_ label: String, _ rate: Double, _ samples: Samples) {
            row(label, rate, p50: samples.p50, p99: samples.p99)
        }
        func row(_ label: String, _ rate: Double, p50: Double, p99: Double) {
            print(
                "| \(label) | \(Figure.count(rate)) | \(Figure.us(p50)) | \(Figure.us(p99)) | \(Figure.ratio(baseline.rate, rate)) |"
            )
        }
        row("in-process `Dispatcher.handle(RPCRequest)` (no JSON)", typed.rate, typed.samples)
        row(
            "**baseline**: in-process `Dispatcher.handle(text:)` (parse + dispatch + serialize)", baseline.rate,
            baseline.samples)
        for (label, method, count, pipelined) in [
            ("`openwork rpc` stdio, sequential (`test.echo`)", "test.echo", 20_000 / scale, false),
            ("`openwork rpc` stdio, pipelined ×\(window) (`test.echo`)", "test.echo", 100_000 / scale, true),
            (
                "`openwork rpc` stdio, pipelined ×\(window) (`health`: registry + supervisor)", "health",
                50_000 / scale,
                true
            ),
        ] {
            let (rate, samples) = try await stdio(
                openwork: openwork, method: method, requests: count, pipelined: pipelined)
            row(label, rate, samples)
        }
        let echo = #"{"jsonrpc":"2.0","id":1,"method":"test.echo","params":{"value":1}}"#
        let (sequentialRate, sequential) = try await httpSequential(
            daemon: daemon, body: echo, requests: 5_000 / scale, http: http)
        row("HTTP `POST /rpc`, one keep-alive connection, sequential (`test.echo`)", sequentialRate, sequential)
        let loaded = try await LoadGenerator.run(
            daemon.rpcTarget(echo), seconds: quick ? 1 : 3, scratch: daemon.root, http: http)
        row(
            "HTTP `POST /rpc`, \(LoadGenerator.connections) connections (\(loaded.tool), `test.echo`)",
            loaded.requestsPerSecond, p50: loaded.p50, p99: loaded.p99)
        print(
            """

            Pipelined rows keep \(window) requests in flight: their latency is the round trip of a whole window. \
            HTTP rows go through the daemon's full request path (Host/Origin checks, bearer token, JSON-RPC).
            """)
    }

    static func inProcess(iterations: Int, _ body: @Sendable () async -> Void) async -> (rate: Double, samples: Samples)
    {
        for _ in 0..<max(1, iterations / 10) { await body() }
        var samples = Samples()
        var total = 0.0
        for _ in 0..<iterations {
            let start = ContinuousClock.now
            await body()
            let elapsed = Samples.milliseconds(ContinuousClock.now - start)
            samples.append(elapsed)
            total += elapsed
        }
        return (Double(iterations) / (total / 1_000), samples)
    }

    /// Requests per second through a spawned `openwork rpc`, and per-request (or per-window) latency.
    static func stdio(openwork: String, method: String, requests: Int, pipelined: Bool) async throws
        -> (Double, Samples)
    {
        let data = try TemporaryDirectory("bench-rpc")
        var environment = ProcessInfo.processInfo.environment
        environment["OPENWORK_ENABLE_TEST_METHODS"] = "1"
        environment["OPENWORK_DATA_DIR"] = data.path
        let process = try TestProcess(openwork, ["rpc"], environment: environment)
        defer { process.closeInput() }
        let params = method == "test.echo" ? #","params":{"value":1}"# : ""
        let line = Array(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)"\#(params)}"#.utf8) + [10]
        _ = try await process.write(line)
        _ = try await process.readLine()
        var samples = Samples()
        let start = ContinuousClock.now
        if pipelined {
            let block = Array([[UInt8]](repeating: line, count: window).joined())
            for _ in 0..<(requests / window) {
                try await samples.time {
                    async let writer: Void = process.write(block)
                    let answers = try await process.readLines(window, within: .seconds(60))
                    try await writer
                    guard answers.count == window else {
                        throw BenchError("openwork rpc answered \(answers.count) of \(window): \(process.errorOutput)")
                    }
                }
            }
        } else {
            for _ in 0..<requests {
                try await samples.time {
                    try await process.write(line)
                    guard try await process.readLine() != nil else { throw BenchError("openwork rpc closed stdout") }
                }
            }
        }
        let elapsed = Samples.seconds(ContinuousClock.now - start)
        await process.stop()
        let answered = pipelined ? samples.count * window : samples.count
        return (Double(answered) / elapsed, samples)
    }

    static func httpSequential(daemon: BenchDaemon, body: String, requests: Int, http: HTTPClient) async throws
        -> (Double, Samples)
    {
        var samples = Samples()
        for index in 0..<(requests + requests / 10) {
            let measured = index >= requests / 10
            let start = ContinuousClock.now
            let response = try await http.execute(daemon.rpcRequest(body), timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code == 200, bytes.readableBytes > 0 else {
                throw BenchError("POST /rpc answered \(response.status.code)")
            }
            if measured { samples.append(ContinuousClock.now - start) }
        }
        return (Double(samples.count) / (samples.values.reduce(0, +) / 1_000), samples)
    }
}
