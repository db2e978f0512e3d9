import Foundation
import OpenWorkSystem

/// TAP version 14 (`--tap`): one test point per scenario run, each preceded by a subtest whose test points are
/// its steps (`# time=` with each duration; steps after a failure are `# SKIP`ped). A failed scenario carries
/// a YAML diagnostic block (`message`, `at`, `step`, `expected`, `actual`, `transcript`, the stderr tails); a
/// skipped one is `# SKIP` with the reason.
extension SuiteReport {
    public var tap: String {
        var lines = ["TAP version 14", "1..\(outcomes.count)"]
        for (index, outcome) in outcomes.enumerated() {
            if !outcome.steps.isEmpty {
                lines.append("    # Subtest: \(Self.tapDescription(outcome.runName))")
                lines.append("    1..\(outcome.steps.count)")
                for (number, step) in outcome.steps.enumerated() {
                    let point =
                        "\(step.status == .failed ? "not ok" : "ok") \(number + 1) - "
                        + Self.tapDescription("\(step.location) \(step.text)")
                    let directive =
                        step.status == .notRun
                        ? " # SKIP not run: an earlier step failed" : " # time=\(step.duration.milliseconds)ms"
                    lines.append("    " + point + directive)
                }
            }
            let description = "\(index + 1) - " + Self.tapDescription(outcome.runName)
            switch outcome.status {
            case .passed: lines.append("ok \(description) # time=\(outcome.duration.milliseconds)ms")
            case .skipped: lines.append("ok \(description) # SKIP \(Self.tapDescription(outcome.reason ?? ""))")
            case .failed:
                lines.append("not ok \(description) # time=\(outcome.duration.milliseconds)ms")
                lines.append(contentsOf: Self.diagnostics(outcome).map { "  " + $0 })
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// The YAML block after a failed scenario's test point (without its indentation).
    private static func diagnostics(_ outcome: ScenarioOutcome) -> [String] {
        guard let failure = outcome.failure else { return [] }
        var yaml = ["---"]
        func block(_ key: String, _ text: String) {
            yaml.append("\(key): |-")
            yaml.append(
                contentsOf: printable(text).split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 })
        }
        block("message", failure.message)
        if let location = failure.location {
            yaml.append("at: '\(location.description.replacingOccurrences(of: "'", with: "''"))'")
        }
        if let step = failure.step { block("step", step) }
        yaml.append("file: '\(outcome.file.replacingOccurrences(of: "'", with: "''"))'")
        yaml.append("duration_ms: \(outcome.duration.milliseconds)")
        if let expected = failure.expected { block("expected", expected) }
        if let actual = failure.actual { block("actual", actual) }
        if !failure.transcript.isEmpty { block("transcript", failure.transcript.joined(separator: "\n")) }
        if !failure.opencodeStderr.isEmpty { block("opencode_stderr", failure.opencodeStderr.joined(separator: "\n")) }
        if !failure.openworkStderr.isEmpty {
            block("openwork_rpc_stderr", failure.openworkStderr.joined(separator: "\n"))
        }
        if let artifacts = outcome.artifacts { block("artifacts", artifacts) }
        yaml.append("...")
        return yaml
    }

    /// A description or directive text on one line: `\` and `#` escaped (TAP 14), line breaks as spaces.
    static func tapDescription(_ text: String) -> String {
        printable(text).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "#", with: "\\#")
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }

    /// `text` without the control characters XML 1.0 and YAML cannot hold (terminal escapes in stderr).
    static func printable(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in text.unicodeScalars
        where scalar.value >= 0x20 || scalar == "\t" || scalar == "\n" || scalar == "\r" {
            guard scalar.value != 0x7F, scalar.value != 0xFFFE, scalar.value != 0xFFFF else { continue }
            kept.append(scalar)
        }
        return String(kept)
    }
}
