import Foundation
import HarnessKit
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// A run with one scenario of each outcome, built by hand: the reports are pure renderings of it.
enum SampleRun {
    static func steps(_ file: String, _ lines: [(String, Int, StepResult.Status)]) throws -> [StepResult] {
        let text = lines.map(\.0).joined(separator: "\n")
        let scenario = try ScenarioParser.parse(text, file: file)
        return zip(scenario.steps, lines).map { StepResult($0, duration: .milliseconds($1.1), status: $1.2) }
    }

    static func report() throws -> SuiteReport {
        var passed = ScenarioOutcome(
            file: "Scenarios/good.scenario", name: "good", title: "Good", status: .passed, duration: .milliseconds(1500)
        )
        passed.tags = ["smoke"]
        passed.steps = try steps(passed.file, [("start", 900, .passed), ("call health", 12, .passed)])
        var failed = ScenarioOutcome(
            file: "Scenarios/bad.scenario", name: "bad", title: "Bad", status: .failed, duration: .milliseconds(2250))
        failed.tags = ["daemon", "smoke"]
        failed.steps = try steps(
            failed.file,
            [
                ("start", 800, .passed), (#"call opencode.status"#, 30, .passed),
                (#"expect result {"state":"<ready> & #1"}"#, 1, .failed), ("call health", 0, .notRun),
            ])
        failed.failure = .init(
            location: SourceLocation(file: failed.file, line: 3), step: failed.steps[2].text,
            message: "result does not match at /state", expected: #"{"state": "<ready> & #1"}"#,
            actual: #"{"state": "stopped"}"#, transcript: [#"-> {"method":"opencode.status"}"#, "<- {…}"],
            opencodeStderr: ["\u{1B}[31mERROR\u{1B}[0m boom"], openworkStderr: ["INFO  engine | stopped"])
        let skipped = ScenarioOutcome(
            file: "Scenarios/knob.scenario", name: "knob", title: "Knob", status: .skipped, duration: .zero,
            reason: "requires fake (fault knobs)")
        return SuiteReport(outcomes: [passed, failed, skipped], opencode: "/bin/opencode", duration: .seconds(4))
    }
}

@Suite("Suite reports")
struct SuiteReportTests {
    @Test("JSON: every scenario with every step's verb, line, duration and outcome")
    func json() throws {
        let report = try SampleRun.report().json
        #expect(report["passed"] == 1)
        #expect(report["failed"] == 1)
        #expect(report["skipped"] == 1)
        let steps = try #require(report["scenarios"]?[1]?["steps"]?.arrayValue)
        #expect(steps.count == 4)
        #expect(
            steps[2] == [
                "verb": "expect result", "line": 3, "text": #"expect result {"state":"<ready> & #1"}"#, "durationMs": 1,
                "status": "failed",
            ])
        #expect(steps[3]["status"] == "not-run")
        #expect(report["scenarios"]?[1]?["tags"] == ["daemon", "smoke"])
        #expect(report["scenarios"]?[2]?["reason"] == "requires fake (fault knobs)")
    }

    @Test("timings for --shard come back from a JSON report, the mean of a scenario's runs")
    func timings() throws {
        var report = try SampleRun.report()
        var again = report.outcomes[0]
        again.duration = .milliseconds(2500)
        report.outcomes.append(again)
        let timings = try #require(SuiteReport.timings(fromJSONReport: report.json))
        #expect(timings == ["good": .milliseconds(2000), "bad": .milliseconds(2250), "knob": .zero])
        #expect(SuiteReport.timings(fromJSONReport: ["ok": true]) == nil)
    }

    @Test("the slowest steps, slowest first, with file:line")
    func slowest() throws {
        let lines = try SampleRun.report().slowestSteps(2)
        #expect(lines.count == 2)
        #expect(lines[0].hasSuffix("Scenarios/good.scenario:1  start"))
        #expect(lines[1].hasSuffix("Scenarios/bad.scenario:1  start"))
    }

    @Test("--repeat: how many runs of each scenario passed")
    func repeats() throws {
        let base = try SampleRun.report().outcomes
        var runs: [ScenarioOutcome] = []
        for (attempt, status) in [ScenarioOutcome.Status.passed, .failed, .passed].enumerated() {
            var run = base[0]
            run.attempt = attempt + 1
            run.status = status
            runs.append(run)
        }
        let report = SuiteReport(outcomes: runs, opencode: "x", duration: .seconds(1))
        #expect(report.repeatCounts.map { "\($0.name) \($0.passed)/\($0.runs)" } == ["good 2/3"])
        #expect(runs[1].runName == "good#2")
        #expect(runs[1].artifactName == "good-run2")
        #expect(report.json["repeats"] == [["name": "good", "passed": 2, "runs": 3]])
    }

    @Test("JUnit: a testsuite per file (or per first tag), a testcase per run, escaped, without terminal escapes")
    func junit() throws {
        let xml = try SampleRun.report().junitXML()
        #expect(xml.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?>"#))
        #expect(
            xml.contains(
                #"<testsuites name="openwork-harness" tests="3" failures="1" errors="0" skipped="1" time="4.000">"#))
        #expect(
            xml.contains(
                #"<testsuite name="Scenarios/bad.scenario" tests="1" failures="1" errors="0" skipped="0" time="2.250">"#
            ))
        #expect(xml.contains(#"<failure message="result does not match at /state" type="step">"#))
        #expect(xml.contains("&lt;ready&gt; &amp; #1"))
        #expect(!xml.contains("\u{1B}"))
        #expect(xml.contains(#"<skipped message="requires fake (fault knobs)"/>"#))
        let byTag = try SampleRun.report().junitXML(groupedBy: .tag)
        #expect(byTag.contains(#"<testsuite name="smoke" tests="1""#))
        #expect(byTag.contains(#"<testsuite name="daemon" tests="1""#))
        #expect(byTag.contains(#"<testsuite name="untagged" tests="1""#))
    }

    @Test("TAP 14: a test point per run, its steps as a subtest, YAML diagnostics, SKIP with the reason")
    func tap() throws {
        let lines = try SampleRun.report().tap.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(2)) == ["TAP version 14", "1..3"])
        #expect(lines.contains("    # Subtest: good"))
        #expect(lines.contains("    ok 1 - Scenarios/good.scenario:1 start # time=900ms"))
        #expect(lines.contains("ok 1 - good # time=1500ms"))
        #expect(
            lines.contains(
                ##"    not ok 3 - Scenarios/bad.scenario:3 expect result {"state":"<ready> & \#1"} # time=1ms"##))
        #expect(
            lines.contains("    ok 4 - Scenarios/bad.scenario:4 call health # SKIP not run: an earlier step failed"))
        let failed = try #require(lines.firstIndex(of: "not ok 2 - bad # time=2250ms"))
        #expect(lines[failed + 1] == "  ---")
        #expect(lines[failed + 2] == "  message: |-")
        #expect(lines[failed + 3] == "    result does not match at /state")
        #expect(lines.contains("  at: 'Scenarios/bad.scenario:3'"))
        #expect(lines.contains("  ..."))
        #expect(lines.last == "ok 3 - knob # SKIP requires fake (fault knobs)")
        #expect(!lines.joined().contains("\u{1B}"))
    }

    @Test(
        "a JUnit consumer we did not write (junitparser) reads every outcome, time and message",
        .enabled(if: JUnitConsumer.shouldRun, "run bash scripts/ensure-python-tools.sh"))
    func junitparserReadsIt() async throws {
        guard JUnitConsumer.require() else { return }
        let directory = try TemporaryDirectory("junit")
        let file = directory.appending("report.xml")
        try SampleRun.report().junitXML().write(toFile: file, atomically: true, encoding: .utf8)
        let read = try await JUnitConsumer.read(file)
        #expect(read["tests"] == 3)
        let suites = try #require(read["suites"]?.arrayValue)
        #expect(
            suites.map { $0["name"] } == [
                "Scenarios/good.scenario", "Scenarios/bad.scenario", "Scenarios/knob.scenario",
            ])
        let bad = try #require(suites[1]["cases"]?[0])
        #expect(bad["time"] == 2.25)
        #expect(bad["results"]?[0]?["kind"] == "Failure")
        #expect(bad["results"]?[0]?["message"] == "result does not match at /state")
        #expect(bad["results"]?[0]?["text"]?.stringValue?.contains(#"expected:"#) == true)
        #expect(bad["results"]?[0]?["text"]?.stringValue?.contains(#""state": "<ready> & #1""#) == true)
        #expect(bad["systemOut"]?.stringValue?.contains("not-run  Scenarios/bad.scenario:4  call health") == true)
        #expect(bad["systemErr"]?.stringValue?.contains("ERROR") == true)
        let knob = try #require(suites[2]["cases"]?[0])
        #expect(knob["results"]?[0]?["kind"] == "Skipped")
        #expect(knob["results"]?[0]?["message"] == "requires fake (fault knobs)")
    }
}

/// junitparser, installed by `scripts/ensure-python-tools.sh` in `.build/python-tools`, reading a JUnit file
/// through `Fixtures/junit-summary.py` (which prints what it understood as JSON).
///
/// A test using it has the trait `.enabled(if: JUnitConsumer.shouldRun, …)` and starts with
/// `guard JUnitConsumer.require() else { return }`: without the tools it is skipped, except under CI (`CI` set),
/// where it fails saying how to install them (`scripts/test.sh` does).
enum JUnitConsumer {
    static let python = Repository.root + "/.build/python-tools/bin/python"

    static var shouldRun: Bool {
        FileManager.default.isExecutableFile(atPath: python)
            || !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty
    }

    static func require(sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
        if FileManager.default.isExecutableFile(atPath: python) { return true }
        Issue.record("run bash scripts/ensure-python-tools.sh", sourceLocation: sourceLocation)
        return false
    }

    static func read(_ file: String) async throws -> JSONValue {
        let process = try TestProcess(
            python, [Repository.root + "/Tests/HarnessTests/Fixtures/junit-summary.py", file])
        let output = try await process.readRemainingOutput(within: .seconds(120))
        let exit = try await process.waitForExit(within: .seconds(120))
        #expect(exit.code == 0, "\(process.errorOutput)")
        return try JSONValue(parsing: output)
    }
}
