import CJansson
import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkTesting

/// `openwork-bench`: the foundation's performance figures, each beside its baseline from the same run.
///
/// Prints a Markdown section on stdout. Timings are whole-loop wall-clock over many iterations after a warm-up;
/// run it on a quiet machine with a release build (`scripts/bench.sh`).
@main
struct Bench {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        let quick = arguments.contains("--quick")
        let scale = quick ? 10 : 1
        print("## JSON parse + serialize (JSONValue vs raw jansson)\n")
        print("| document | JSONValue ops/s | raw jansson ops/s | JSONValue MB/s | ratio (raw / JSONValue) |")
        print("|---|---|---|---|---|")
        for (name, document, iterations) in [
            ("~1 KB", Documents.small, 20_000 / scale), ("~1 MB", Documents.large, 40 / max(1, scale / 4)),
        ] {
            let bytes = Array(document.utf8)
            let ours = measure(iterations: iterations) {
                let value = try JSONValue(parsing: bytes)
                _ = try value.serializedBytes()
            }
            let raw = measure(iterations: iterations) { try RawJansson.roundTrip(bytes) }
            let megabytes = Double(bytes.count) * ours / 1_000_000
            print(
                "| \(name) (\(bytes.count) B) | \(format(ours)) | \(format(raw)) | \(String(format: "%.1f", megabytes)) | \(String(format: "%.2f", raw / ours))× |"
            )
        }

        print("\n## JSON-RPC round trips\n")
        print("| path | requests/s | goal |")
        print("|---|---|---|")
        var table = MethodTable(title: "bench", version: "1")
        table.register(RPCMethod("noop", summary: "", result: .init("", schema: [:])) { _ in true })
        let dispatcher = Dispatcher(table: table)
        let request = RPCRequest(id: 1, method: "noop")
        let inProcess = await measureAsync(iterations: 200_000 / scale) {
            _ = await dispatcher.handle(request)
        }
        print("| in-process `Dispatcher.handle(RPCRequest)` (trivial method) | \(format(inProcess)) | ≥ 200,000 |")
        let line = Array(#"{"jsonrpc":"2.0","id":1,"method":"noop"}"#.utf8)
        let inProcessText = await measureAsync(iterations: 200_000 / scale) {
            _ = await dispatcher.handle(text: line)
        }
        print("| in-process `Dispatcher.handle(text:)` (parse + dispatch + serialize) | \(format(inProcessText)) | — |")

        let openwork = arguments.first { !$0.hasPrefix("--") } ?? BuiltProducts.path(of: "openwork")
        for (label, method, count, pipelined) in [
            ("`openwork rpc` stdio, pipelined (`test.echo`: the transport)", "test.echo", 100_000 / scale, true),
            ("`openwork rpc` stdio, sequential (`test.echo`)", "test.echo", 20_000 / scale, false),
            (
                "`openwork rpc` stdio, pipelined (`health`: registry + supervisor status)", "health", 50_000 / scale,
                true
            ),
        ] {
            let rate = try await stdio(openwork: openwork, method: method, requests: count, pipelined: pipelined)
            print("| \(label) | \(format(rate)) | \(pipelined && method == "test.echo" ? "≥ 30,000" : "—") |")
        }
        try await RegistryBench.run(quick: quick)
        try await EngineBench.run(quick: quick)
        try await DaemonBench.run(quick: quick, openwork: openwork)
    }

    /// Requests per second through a spawned `openwork rpc`.
    static func stdio(openwork: String, method: String, requests: Int, pipelined: Bool) async throws -> Double {
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
        let start = ContinuousClock.now
        if pipelined {
            async let writer: Void = process.write(Array([[UInt8]](repeating: line, count: requests).joined()))
            let answers = try await process.readLines(requests, within: .seconds(120))
            precondition(answers.count == requests, "openwork rpc answered \(answers.count) of \(requests)")
            try await writer
        } else {
            for _ in 0..<requests {
                try await process.write(line)
                _ = try await process.readLine()
            }
        }
        let elapsed = ContinuousClock.now - start
        await process.stop()
        return Double(requests) / seconds(elapsed)
    }

    static func measure(iterations: Int, _ body: () throws -> Void) -> Double {
        for _ in 0..<max(1, iterations / 10) { try? body() }
        let start = ContinuousClock.now
        for _ in 0..<iterations { try? body() }
        return Double(iterations) / seconds(ContinuousClock.now - start)
    }

    static func measureAsync(iterations: Int, _ body: @Sendable () async -> Void) async -> Double {
        for _ in 0..<max(1, iterations / 10) { await body() }
        let start = ContinuousClock.now
        for _ in 0..<iterations { await body() }
        return Double(iterations) / seconds(ContinuousClock.now - start)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func format(_ rate: Double) -> String {
        let number = NumberFormatter()
        number.numberStyle = .decimal
        number.maximumFractionDigits = 0
        return number.string(from: NSNumber(value: rate.rounded())) ?? "\(Int(rate))"
    }
}

/// The same round trip with jansson alone: load, dump, free.
enum RawJansson {
    struct Failed: Error {}

    static func roundTrip(_ bytes: [UInt8]) throws {
        var error = json_error_t()
        let root = bytes.withUnsafeBytes { buffer in
            json_loadb(
                buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count,
                Int(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL), &error)
        }
        guard let root else { throw Failed() }
        defer { cjansson_decref(root) }
        let size = json_dumpb(root, nil, 0, Int(JSON_COMPACT | JSON_ENCODE_ANY))
        var output = [CChar](repeating: 0, count: size)
        _ = json_dumpb(root, &output, size, Int(JSON_COMPACT | JSON_ENCODE_ANY))
    }
}

/// Deterministic documents shaped like what openwork moves: registries, sessions, events.
enum Documents {
    static func workspace(_ index: Int) -> String {
        """
        {"id":"ws-\(String(format: "%012x", index &* 2_654_435_761))","name":"Project \(index)",\
        "path":"/home/user/code/project-\(index)","workspaceType":"local","createdAt":\(1_738_000_000_000 + index),\
        "lastUsedAt":\(1_738_000_100_000 + index),"ratio":\(Double(index) / 7),"tags":["a","b\\n\\u00e9"],"pinned":\(index % 2 == 0)}
        """
    }

    static let small: String =
        "{\"version\":1,\"activeId\":\"ws-1\",\"workspaces\":[" + (0..<4).map(workspace).joined(separator: ",") + "]}"

    static let large: String = {
        var parts: [String] = []
        var index = 0
        var total = 0
        while total < 1_000_000 {
            let entry = workspace(index)
            parts.append(entry)
            total += entry.utf8.count + 1
            index += 1
        }
        return "{\"version\":1,\"workspaces\":[" + parts.joined(separator: ",") + "]}"
    }()
}
