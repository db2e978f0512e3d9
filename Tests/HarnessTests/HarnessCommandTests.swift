import Foundation
import HarnessKit
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// The `openwork-harness` executable as a user (or a CI job) runs it.
///
/// One test at a time: several of them run scenarios several at once, and together they would load the
/// machine enough to slow the suites running beside them.
@Suite("openwork-harness command", .serialized, .timeLimit(.minutes(5)))
struct HarnessCommandTests {
    struct Run {
        var exit: TestProcess.Exit
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Runs the harness to its end; the deadline only stops a hang (these runs take seconds).
    func run(
        _ arguments: [String], in directory: String = Repository.root, environment: [String: String] = [:]
    ) async throws -> Run {
        let process = try TestProcess(
            BuiltProducts.path(of: "openwork-harness"), arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            workingDirectory: directory)
        let output = try await process.readRemainingOutput(within: .seconds(240))
        let exit = try await process.waitForExit(within: .seconds(30))
        return Run(exit: exit, stdout: output, stderr: process.errorOutput)
    }

    /// The names `--list` prints (its first column).
    func listed(_ arguments: [String]) async throws -> [String] {
        let listing = try await run(["--list"] + arguments)
        #expect(listing.exit.code == 0, "\(listing.stderr)")
        return listing.lines.compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    @Test("passing scenarios exit 0 with the slowest steps, then the closing line")
    func passes() async throws {
        let result = try await run(["Scenarios/invalid-path.scenario", "Scenarios/unknown-*.scenario"])
        #expect(result.exit.code == 0, "\(result.stdout)")
        #expect(result.stdout.contains("PASS invalid-path"))
        #expect(result.stdout.contains("PASS unknown-workspace"))
        #expect(result.stdout.contains("# slowest steps:\n#     "), "\(result.stdout)")
        #expect(result.stdout.contains("Scenarios/invalid-path.scenario:"))
        #expect(result.stdout.hasSuffix("2 passed, 0 failed, 0 skipped\n"), "\(result.stdout)")
    }

    @Test("a failing scenario exits 1; --report json puts the report on stdout")
    func fails() async throws {
        let result = try await run([
            "--report", "json", "Scenarios/invalid-path.scenario", "Tests/HarnessTests/Fixtures/failing/regex.scenario",
        ])
        #expect(result.exit.code == 1)
        let report = try JSONValue(parsing: result.stdout)
        #expect(report["passed"] == 1)
        #expect(report["failed"] == 1)
        #expect(report["scenarios"]?[1]?["failure"]?["line"] == 4)
        #expect(result.stderr.contains("FAIL regex"), "the text lines go to stderr")
    }

    @Test("an invalid scenario file exits 2 before anything runs, with file:line")
    func parseError() async throws {
        let directory = try TemporaryDirectory("harness-cli")
        let file = directory.appending("bad.scenario")
        try "start\nfly away\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await run(["Scenarios/invalid-path.scenario", file])
        #expect(result.exit.code == 2)
        #expect(result.stderr.contains("bad.scenario:2: unknown verb \"fly\""), "\(result.stderr)")
        #expect(!result.stdout.contains("PASS"), "nothing runs")
    }

    @Test(
        "usage errors exit 64 with what is wrong",
        arguments: [
            (["--jobs", "0"], "--jobs must be at least 1"),
            (["--timeout-scale", "fast"], "--timeout-scale must be a positive number, got \"fast\""),
            (["--timeout-scale", "0"], "--timeout-scale must be a positive number"),
            (["--opencode-bin", "/no/such/opencode"], "/no/such/opencode (given with --opencode-bin"),
            (["--shard", "3/2"], "--shard"),
            (["--repeat", "0"], "--repeat must be at least 1"),
            (["--timings", "t.json"], "--timings balances --shard"),
            (["--artifacts-all"], "--artifacts-all needs --artifacts DIR"),
            (["--tap", "--json", "-"], "only one report can go to stdout"),
            (["--filter", "no-such-*"], "no scenario matches --filter no-such-*"),
            (["--tag", "no-such-tag"], "no scenario matches --tag no-such-tag"),
            (["Scenarios/no-such-*.scenario"], "no scenario files match"),
            (["--shard", "1/2", "--timings", "README.md"], "not a JSON report"),
        ] as [([String], String)]
    )
    func usageErrors(arguments: [String], message: String) async throws {
        let result = try await run(arguments)
        #expect(result.exit.code == 64, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("a bad HARNESS_TIMEOUT_SCALE is a usage error, not ignored; --timeout-scale overrides it")
    func timeoutScaleFromEnvironment() async throws {
        let bad = try await run(["--list"], environment: ["HARNESS_TIMEOUT_SCALE": "2x"])
        #expect(bad.exit.code == 64)
        #expect(bad.stderr.contains("HARNESS_TIMEOUT_SCALE=2x is not a positive number"), "\(bad.stderr)")
        let overridden = try await run(
            ["--timeout-scale", "3", "Scenarios/invalid-path.scenario"], environment: ["HARNESS_TIMEOUT_SCALE": "2x"])
        #expect(overridden.exit.code == 0, "\(overridden.stderr)")
    }

    @Test("an opencode that is not executable is a usage error naming the path")
    func opencodeNotExecutable() async throws {
        let directory = try TemporaryDirectory("harness-cli")
        let plain = directory.appending("opencode")
        try "#!/bin/sh\n".write(toFile: plain, atomically: true, encoding: .utf8)
        let result = try await run(["--list"], environment: ["OPENCODE_BIN": plain])
        #expect(result.exit.code == 64)
        #expect(result.stderr.contains("\(plain) (given with --opencode-bin or OPENCODE_BIN) is not executable"))
    }

    @Test("the scenario directory is found from a subdirectory, given with --scenario-dir, or its absence explained")
    func scenarioDirectory() async throws {
        let all = Repository.files(in: Repository.scenarios).map { String($0.dropLast(".scenario".count)) }
        let fromBelow = try await run(["--list"], in: Repository.root + "/Tests/HarnessTests")
        #expect(fromBelow.lines.compactMap { $0.split(separator: " ").first.map(String.init) } == all)
        let elsewhere = try TemporaryDirectory("harness-cli")
        let none = try await run(["--list"], in: elsewhere.path)
        #expect(none.exit.code == 64)
        #expect(none.stderr.contains("no Scenarios/ directory with .scenario files in \(elsewhere.path) or any parent"))
        let given = try await run(["--list", "--scenario-dir", Repository.scenarios], in: elsewhere.path)
        #expect(given.exit.code == 0)
        #expect(given.lines.count == all.count)
    }

    @Test("--list shows tags and what a scenario needs; --tag, --exclude-tag and --filter select")
    func listsAndSelects() async throws {
        let listing = try await run(["--list", "--filter", "host-check"])
        #expect(
            listing.lines == ["host-check  [host, cli]  (requires fake)  \(Repository.scenarios)/host-check.scenario"])
        #expect(
            try await listed(["--tag", "smoke", "--exclude-tag", "rpc"])
                == ["invalid-path", "multi-workspace-isolation", "remove", "switch", "unknown-workspace"])
        #expect(
            try await listed(["--filter", "crash-*", "--filter", "switch"]) == [
                "crash-loop-recovers", "crash-restart", "switch",
            ])
    }

    @Test(
        "the union of --shard 1/N … N/N is the whole selection with no overlap, by hash and by timings",
        arguments: [2, 3, 5])
    func shards(count: Int) async throws {
        let all = try await listed([])
        let directory = try TemporaryDirectory("harness-cli")
        let timings = directory.appending("timings.json")
        let recorded: JSONValue = [
            "scenarios": .array(
                all.prefix(20).enumerated().map {
                    ["name": .string($1), "durationMs": .integer(Int64(500 * ($0 % 7 + 1)))]
                })
        ]
        try recorded.serialized().write(toFile: timings, atomically: true, encoding: .utf8)
        for extra in [[], ["--timings", timings]] {
            var union: [String] = []
            for index in 1...count { union += try await listed(["--shard", "\(index)/\(count)"] + extra) }
            #expect(union.count == all.count, "\(extra)")
            #expect(Set(union) == Set(all), "\(extra)")
        }
    }

    @Test(
        "--tap on stdout, --json and --junit files (read by junitparser), --fail-fast skips the rest with the reason",
        .enabled(if: JUnitConsumer.shouldRun, "run bash scripts/ensure-python-tools.sh"))
    func reports() async throws {
        let directory = try TemporaryDirectory("harness-cli")
        let (json, junit) = (directory.appending("report.json"), directory.appending("junit.xml"))
        let result = try await run([
            "--tap", "--json", json, "--junit", junit, "--fail-fast", "--jobs", "1",
            "Tests/HarnessTests/Fixtures/failing/regex.scenario", "Scenarios/invalid-path.scenario",
        ])
        #expect(result.exit.code == 1)
        let tap = result.lines
        #expect(Array(tap.prefix(2)) == ["TAP version 14", "1..2"])
        #expect(tap.contains { $0.hasPrefix("not ok 1 - regex # time=") })
        #expect(tap.contains("ok 2 - invalid-path # SKIP not run: --fail-fast after regex failed"))
        #expect(
            tap.contains {
                $0.hasPrefix("    not ok 3 - Tests/HarnessTests/Fixtures/failing/regex.scenario:4 expect result")
            })

        let report = try JSONValue(parsing: try String(contentsOfFile: json, encoding: .utf8))
        let steps = try #require(report["scenarios"]?[0]?["steps"]?.arrayValue)
        #expect(steps.map { $0["verb"] } == ["start", "call", "expect result"])
        #expect(steps.map { $0["line"] } == [2, 3, 4])
        #expect(steps.map { $0["status"] } == ["passed", "passed", "failed"])
        #expect(steps.allSatisfy { $0["durationMs"]?.int64Value != nil })

        guard JUnitConsumer.require() else { return }
        let read = try await JUnitConsumer.read(junit)
        let suites = try #require(read["suites"]?.arrayValue)
        #expect(suites.count == 2)
        #expect(suites[0]["failures"] == 1)
        let failure = try #require(suites[0]["cases"]?[0]?["results"]?[0])
        #expect(failure["kind"] == "Failure")
        #expect(failure["text"]?.stringValue?.contains("regex.scenario:4") == true)
        #expect(failure["text"]?.stringValue?.contains("JSON-RPC transcript") == true)
        #expect(suites[1]["cases"]?[0]?["results"]?[0]?["message"] == "not run: --fail-fast after regex failed")
    }

    @Test("against another opencode a scenario that needs the fake is a skipped testcase with the reason")
    func skippedAgainstRealOpencode() async throws {
        let result = try await run([
            "--opencode-bin", "/bin/true", "--junit", "-", "Scenarios/opencode-never-ready.scenario",
        ])
        #expect(result.exit.code == 0)
        #expect(
            result.stdout.contains(
                #"<skipped message="requires fake (fault knobs or /__fake introspection); opencode under test is /bin/true"/>"#
            ))
    }

    @Test("--artifacts keeps a folder per failed scenario (state, events, stderr, daemon log, transcript)")
    func artifacts() async throws {
        let directory = try TemporaryDirectory("harness-cli")
        let scenario = directory.appending("added.scenario")
        try """
        mkdir $WORK/a
        start
        call events.subscribe {}
        call workspace.add {"path":"$WORK/a"}
        await event workspace.added
        expect result {"no":"such"}

        """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let out = directory.appending("artifacts")
        let result = try await run([
            "--artifacts", out, scenario, "Tests/HarnessTests/Fixtures/failing/http-status.scenario",
            "Scenarios/invalid-path.scenario",
        ])
        #expect(result.exit.code == 1)
        let folders = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(folders == ["added", "http-status"], "a passed scenario leaves nothing")
        let added = out + "/added/"
        let files = try FileManager.default.contentsOfDirectory(atPath: added).sorted()
        for expected in [
            "events.jsonl", "opencode.log", "openwork-rpc-1.stderr", "outcome.json", "state.json", "transcript.txt",
        ] {
            #expect(files.contains(expected), "\(files)")
        }
        let events = try String(contentsOfFile: added + "events.jsonl", encoding: .utf8)
        #expect(events.contains(#""type":"workspace.added""#), "\(events)")
        #expect(try String(contentsOfFile: added + "state.json", encoding: .utf8).contains("\"workspaces\""))
        #expect(try String(contentsOfFile: added + "transcript.txt", encoding: .utf8).contains("-> {"))
        let outcome = try JSONValue(parsing: try String(contentsOfFile: added + "outcome.json", encoding: .utf8))
        #expect(outcome["status"] == "failed")
        #expect(result.stdout.contains("  artifacts: \(out)/added"))
        let daemon = out + "/http-status/"
        #expect(FileManager.default.fileExists(atPath: daemon + "logs/daemon.log"))
        #expect(FileManager.default.fileExists(atPath: daemon + "cli-1.stderr"))
        #expect(!FileManager.default.fileExists(atPath: daemon + "daemon-token"))

        let all = try await run(["--artifacts", out, "--artifacts-all", "Scenarios/invalid-path.scenario"])
        #expect(all.exit.code == 0)
        #expect(FileManager.default.fileExists(atPath: out + "/invalid-path/outcome.json"))
    }

    @Test("--repeat N runs each scenario N times and says how many passed")
    func repeats() async throws {
        let result = try await run(["--repeat", "3", "--jobs", "3", "Scenarios/invalid-path.scenario"])
        #expect(result.exit.code == 0, "\(result.stdout)")
        for attempt in 1...3 { #expect(result.stdout.contains("PASS invalid-path#\(attempt) ")) }
        #expect(result.stdout.contains("# invalid-path: 3 of 3 passed"))
        #expect(result.stdout.hasSuffix("3 passed, 0 failed, 0 skipped\n"))
    }

    @Test("four jobs on two cores: every scenario has its own directories, ports and processes, and passes")
    func fourJobs() async throws {
        let result = try await run(["--jobs", "4", "--tag", "workspaces", "--tag", "rpc"])
        #expect(result.exit.code == 0, "\(result.stdout)")
        #expect(result.stdout.contains("# openwork-harness: 8 scenarios, 4 at once,"), "\(result.stdout)")
        #expect(result.stdout.contains(" 0 failed, "))
    }
}
