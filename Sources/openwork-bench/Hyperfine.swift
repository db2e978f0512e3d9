import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

/// Whole-process wall time of commands with `hyperfine`, or with a plain spawn-and-wait loop when it is missing.
enum Hyperfine {
    static var path: String? {
        ["/usr/bin/hyperfine", "/usr/local/bin/hyperfine"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var toolName: String { path == nil ? "spawn-and-wait loop (hyperfine not installed)" : "hyperfine -N" }

    /// One ``Samples`` per command, in order. Each command is an executable path and arguments without spaces
    /// (hyperfine runs it without a shell); a command that exits non-zero stops the benchmark.
    static func measure(
        _ commands: [[String]], runs: Int, environment: [String: String], scratch: TemporaryDirectory
    ) async throws -> [Samples] {
        guard let path else { return try await measureBySpawning(commands, runs: runs, environment: environment) }
        let export = scratch.appending("hyperfine-\(UUID().uuidString).json")
        let arguments =
            ["-N", "--style", "none", "--warmup", "3", "--runs", "\(runs)", "--export-json", export]
            + commands.map { $0.joined(separator: " ") }
        let process = try TestProcess(path, arguments, environment: environment)
        _ = try await process.readRemainingOutput(within: .seconds(300))
        let exit = try await process.waitForExit(within: .seconds(30))
        guard exit.code == 0 else { throw BenchError("hyperfine \(exit): \(process.errorOutput)") }
        return try parse(Array(try Data(contentsOf: URL(fileURLWithPath: export))))
    }

    /// The `times` (seconds) of each entry of hyperfine's `--export-json` `results`, in milliseconds.
    static func parse(_ bytes: [UInt8]) throws -> [Samples] {
        let document = try JSONValue(parsing: bytes)
        guard let results = document["results"]?.arrayValue else { throw BenchError("hyperfine JSON has no results") }
        return try results.map { result in
            guard let times = result["times"]?.arrayValue, !times.isEmpty else {
                throw BenchError("hyperfine result without times: \(result)")
            }
            return Samples(times.compactMap { $0.doubleValue.map { $0 * 1_000 } })
        }
    }

    static func measureBySpawning(_ commands: [[String]], runs: Int, environment: [String: String]) async throws
        -> [Samples]
    {
        var all: [Samples] = []
        for command in commands {
            var samples = Samples()
            for run in 0..<(runs + 3) {
                let start = ContinuousClock.now
                let process = try TestProcess(command[0], Array(command.dropFirst()), environment: environment)
                _ = try await process.readRemainingOutput(within: .seconds(30))
                let exit = try await process.waitForExit(within: .seconds(30))
                guard exit.code == 0 else { throw BenchError("\(command.joined(separator: " ")): \(exit)") }
                if run >= 3 { samples.append(ContinuousClock.now - start) }
            }
            all.append(samples)
        }
        return all
    }
}
