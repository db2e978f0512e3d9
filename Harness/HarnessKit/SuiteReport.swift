import Foundation
public import OpenWorkJSON
import OpenWorkSystem

/// A finished run of the suite, in the forms CI systems and people read: the JSON report (`--json`), JUnit XML
/// (``junitXML(groupedBy:)``), TAP 14 (``tap``) and the slowest steps of the text report.
///
/// It only renders; the command decides where each form goes.
public struct SuiteReport: Sendable {
    public var outcomes: [ScenarioOutcome]
    /// The opencode the scenarios ran against.
    public var opencode: String
    /// Wall-clock time of the whole run.
    public var duration: Duration

    public init(outcomes: [ScenarioOutcome], opencode: String, duration: Duration) {
        self.outcomes = outcomes
        self.opencode = opencode
        self.duration = duration
    }

    public var summary: SuiteSummary { SuiteSummary(outcomes) }

    /// `{"scenarios":[…],"passed":N,"failed":N,"skipped":N,"opencode":…,"durationMs":N}`, each scenario with every
    /// step's verb, line, duration and outcome; under `--repeat`, `"repeats"` counts the passes of each.
    public var json: JSONValue {
        let summary = summary
        var report: JSONValue = [
            "scenarios": .array(outcomes.map(\.json)),
            "passed": .integer(Int64(summary.passed)), "failed": .integer(Int64(summary.failed)),
            "skipped": .integer(Int64(summary.skipped)), "opencode": .string(opencode),
            "durationMs": .integer(duration.milliseconds),
        ]
        let repeats = repeatCounts
        if !repeats.isEmpty {
            report["repeats"] = .array(
                repeats.map {
                    ["name": .string($0.name), "passed": .integer(Int64($0.passed)), "runs": .integer(Int64($0.runs))]
                })
        }
        return report
    }

    /// Under `--repeat`, how many runs of each scenario passed, in first-run order (empty without repeats).
    public var repeatCounts: [(name: String, passed: Int, runs: Int)] {
        var counts: [(name: String, passed: Int, runs: Int)] = []
        for outcome in outcomes where outcome.attempt != nil && outcome.status != .skipped {
            let passed = outcome.status == .passed ? 1 : 0
            if let index = counts.firstIndex(where: { $0.name == outcome.name }) {
                counts[index].passed += passed
                counts[index].runs += 1
            } else {
                counts.append((outcome.name, passed, 1))
            }
        }
        return counts
    }

    /// The `count` slowest steps that ran, slowest first, one line each: `1.23 s  file:line  step`.
    public func slowestSteps(_ count: Int) -> [String] {
        let steps = outcomes.flatMap { outcome in outcome.steps.filter { $0.status != .notRun } }
        return steps.sorted { ($0.duration, $1.location.description) > ($1.duration, $0.location.description) }
            .prefix(count).map { step in
                String(format: "%7.2f s", step.duration.timeInterval) + "  \(step.location)  \(step.text)"
            }
    }

    /// Recorded durations by scenario name, from a JSON report of an earlier run (the mean of its runs), for
    /// `--shard` with `--timings`; `nil` when `report` is not one.
    public static func timings(fromJSONReport report: JSONValue) -> [String: Duration]? {
        guard let scenarios = report["scenarios"]?.arrayValue else { return nil }
        var runs: [String: [Duration]] = [:]
        for scenario in scenarios {
            guard let name = scenario["name"]?.stringValue, let milliseconds = scenario["durationMs"]?.int64Value else {
                return nil
            }
            runs[name, default: []].append(.milliseconds(milliseconds))
        }
        return runs.mapValues { $0.reduce(.zero, +) / $0.count }
    }
}
