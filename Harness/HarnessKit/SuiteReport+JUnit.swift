import Foundation
import OpenWorkSystem

/// How `--junit` groups scenarios into `<testsuite>` elements.
public enum JUnitGrouping: String, Sendable, CaseIterable {
    /// One testsuite per scenario file (named by its path).
    case file
    /// One testsuite per scenario's first `# tags:` entry (`untagged` without one), so each run is counted once.
    case tag
}

/// JUnit XML in the shape Jenkins, GitLab, GitHub Actions' test-report actions and Buildkite read.
///
/// `<testsuites>` holds one `<testsuite>` per group, with `tests`, `failures`, `errors` (always 0: a scenario
/// that cannot run is a usage or parse error before anything runs), `skipped` and `time` in seconds. Each run
/// of a scenario is a `<testcase name classname file time>` with `<failure message type>` (the failing step,
/// expected and actual, the transcript tail, as the text report prints them), or `<skipped message>` with the
/// reason; `<system-out>` lists every step with its duration and outcome, `<system-err>` the stderr tails of
/// opencode and `openwork rpc`. Text is escaped and stripped of characters XML 1.0 cannot hold (terminal
/// escapes).
extension SuiteReport {
    public func junitXML(groupedBy grouping: JUnitGrouping = .file) -> String {
        var groups: [(name: String, outcomes: [ScenarioOutcome])] = []
        for outcome in outcomes {
            let name = grouping == .file ? outcome.file : (outcome.tags.first ?? "untagged")
            if let index = groups.firstIndex(where: { $0.name == name }) {
                groups[index].outcomes.append(outcome)
            } else {
                groups.append((name, [outcome]))
            }
        }
        let summary = summary
        var xml = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            "<testsuites name=\"openwork-harness\" tests=\"\(outcomes.count)\" failures=\"\(summary.failed)\" "
                + "errors=\"0\" skipped=\"\(summary.skipped)\" time=\"\(Self.seconds(duration))\">",
        ]
        for group in groups {
            let counts = SuiteSummary(group.outcomes)
            let time = group.outcomes.map(\.duration).reduce(.zero, +)
            xml.append(
                "  <testsuite name=\(Self.attribute(group.name)) tests=\"\(group.outcomes.count)\" "
                    + "failures=\"\(counts.failed)\" errors=\"0\" skipped=\"\(counts.skipped)\" "
                    + "time=\"\(Self.seconds(time))\">")
            for outcome in group.outcomes { xml.append(contentsOf: testcase(outcome, classname: group.name)) }
            xml.append("  </testsuite>")
        }
        xml.append("</testsuites>")
        return xml.map { $0 + "\n" }.joined()
    }

    private func testcase(_ outcome: ScenarioOutcome, classname: String) -> [String] {
        var lines = [
            "    <testcase name=\(Self.attribute(outcome.runName)) classname=\(Self.attribute(classname)) "
                + "file=\(Self.attribute(outcome.file)) time=\"\(Self.seconds(outcome.duration))\">"
        ]
        switch outcome.status {
        case .passed: break
        case .skipped: lines.append("      <skipped message=\(Self.attribute(outcome.reason ?? ""))/>")
        case .failed:
            let failure = outcome.failure
            let message = failure?.message.split(separator: "\n").first.map(String.init) ?? ""
            let type = failure?.location == nil ? "teardown" : "step"
            lines.append(
                "      <failure message=\(Self.attribute(message)) type=\"\(type)\">"
                    + Self.text(outcome.details) + "</failure>")
        }
        if !outcome.steps.isEmpty {
            let steps = outcome.steps.map { step in
                String(format: "%8.3f s", step.duration.timeInterval)
                    + "  \(step.status.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  "
                    + "\(step.location)  \(step.text)"
            }
            let teardown = String(format: "%8.3f s", outcome.teardown.timeInterval) + "  teardown"
            lines.append(
                "      <system-out>" + Self.text((steps + [teardown]).joined(separator: "\n")) + "</system-out>")
        }
        if let failure = outcome.failure, !(failure.opencodeStderr.isEmpty && failure.openworkStderr.isEmpty) {
            let errors =
                ["opencode stderr (tail):"] + failure.opencodeStderr + ["openwork rpc stderr (tail):"]
                + failure.openworkStderr
            lines.append("      <system-err>" + Self.text(errors.joined(separator: "\n")) + "</system-err>")
        }
        lines.append("    </testcase>")
        return lines
    }

    /// Seconds with millisecond precision, as JUnit's `time` wants them.
    static func seconds(_ duration: Duration) -> String { String(format: "%.3f", duration.timeInterval) }

    /// Character data: `&`, `<`, `>` escaped, characters XML 1.0 cannot hold dropped.
    static func text(_ raw: String) -> String {
        printable(raw).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A quoted attribute value: as ``text(_:)``, plus `"` and line breaks as character references.
    static func attribute(_ raw: String) -> String {
        "\""
            + text(raw).replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "\n", with: "&#10;")
            .replacingOccurrences(of: "\r", with: "&#13;").replacingOccurrences(of: "\t", with: "&#9;") + "\""
    }
}
