import AsyncHTTPClient
import Foundation
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

/// `openwork-bench`: the performance suite, every figure beside a baseline measured in the same run.
///
/// - `openwork-bench [--quick] [OPENWORK]`: the suite; prints Markdown sections on stdout (`scripts/bench.sh`
///   puts them into BENCHMARKS.md). Run it from a release build on a machine that is as quiet as it gets.
/// - `openwork-bench soak [--cycles N] [--engine-restart-every N] [OPENWORK]`: the soak (target R2); exits 1
///   when a check failed. Not run in CI.
///
/// `OPENWORK` is the `openwork` executable to measure (default: the one built beside this program).
@main
struct Bench {
    static func main() async throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let command = arguments.first.flatMap { ["soak", "suite", "lifecycle"].contains($0) ? $0 : nil } ?? "suite"
        if arguments.first == command { arguments.removeFirst() }
        let quick = arguments.contains("--quick")
        let cycles = value(after: "--cycles", in: arguments)
        let restartEvery = value(after: "--engine-restart-every", in: arguments)
        let flagValues = Set([cycles, restartEvery].compactMap { $0 }.map(String.init))
        let openwork =
            arguments.first { !$0.hasPrefix("--") && !flagValues.contains($0) } ?? BuiltProducts.path(of: "openwork")
        switch command {
        case "soak":
            var options = SoakBench.Options(openwork: openwork, fake: BuiltProducts.path(of: "fake-opencode"))
            if let cycles { options.cycles = cycles }
            if let restartEvery { options.engineRestartEvery = max(1, restartEvery) }
            let outcome = try await SoakBench.run(options)
            print(SoakBench.report(outcome, options: options))
            if !outcome.passed { exit(1) }
        case "lifecycle":
            try await LifecycleBench.run(quick: quick)
        default:
            try await suite(quick: quick, openwork: openwork)
        }
    }

    static func suite(quick: Bool, openwork: String) async throws {
        try JSONBench.run(quick: quick)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let daemon = try await BenchDaemon.start(openwork: openwork)
            do {
                try await RPCBench.run(quick: quick, openwork: openwork, daemon: daemon, http: http)
                try await DaemonBench.run(quick: quick, openwork: openwork, daemon: daemon, http: http)
            } catch {
                try? await daemon.stop(openwork: openwork)
                throw error
            }
            try await daemon.stop(openwork: openwork)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        try await RegistryBench.run(quick: quick)
        try await EngineBench.run(quick: quick)
        try await LifecycleBench.run(quick: quick)
    }

    static func value(after flag: String, in arguments: [String]) -> Int? {
        guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        return Int(arguments[index + 1])
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
