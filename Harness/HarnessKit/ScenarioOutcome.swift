import Foundation
public import OpenWorkJSON

/// How one scenario ended. A failure is a value, not a thrown error: the suite goes on.
public struct ScenarioOutcome: Sendable {
    public enum Status: String, Sendable {
        case passed
        case failed
        case skipped
    }

    /// What went wrong, with enough context to act on it without re-running.
    public struct Failure: Sendable {
        /// The failing step, or `nil` for a parse error or a problem found at teardown.
        public var location: SourceLocation?
        public var step: String?
        public var message: String
        /// Pretty JSON (or text) of what the step wanted and what it got.
        public var expected: String?
        public var actual: String?
        /// The last lines of the JSON-RPC transcript (`->` sent, `<-` received).
        public var transcript: [String] = []
        /// The last lines opencode wrote to stderr, as `opencode.status` reported them.
        public var opencodeStderr: [String] = []
        /// The last lines `openwork rpc` itself wrote to stderr.
        public var openworkStderr: [String] = []
    }

    public var file: String
    public var name: String
    public var title: String
    public var status: Status
    public var duration: Duration
    /// Why it was skipped.
    public var reason: String?
    public var failure: Failure?
    /// Where its directories were kept (`--keep-work`).
    public var workDirectory: String?

    /// The one line printed per scenario.
    public var summaryLine: String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let time = "(" + String(format: "%.2f", seconds) + "s)"
        switch status {
        case .passed: return "PASS \(name) \(time)"
        case .failed: return "FAIL \(name) \(time): \(failure?.message.split(separator: "\n").first ?? "")"
        case .skipped: return "SKIP \(name): \(reason ?? "")"
        }
    }

    /// The failure explained over several lines (empty when it did not fail).
    public var details: String {
        guard let failure else { return "" }
        var lines: [String] = []
        if let location = failure.location { lines.append("  at \(location): \(failure.step ?? "")") }
        lines.append(contentsOf: failure.message.split(separator: "\n").map { "  " + $0 })
        if let expected = failure.expected {
            lines.append("  expected:")
            lines.append(contentsOf: expected.split(separator: "\n").map { "    " + $0 })
        }
        if let actual = failure.actual {
            lines.append("  actual:")
            lines.append(contentsOf: actual.split(separator: "\n").map { "    " + $0 })
        }
        if !failure.transcript.isEmpty {
            lines.append("  last \(Counted.text(failure.transcript.count, "line")) of the JSON-RPC transcript:")
            lines.append(contentsOf: failure.transcript.map { "    " + $0 })
        }
        if !failure.opencodeStderr.isEmpty {
            lines.append("  opencode stderr (tail):")
            lines.append(contentsOf: failure.opencodeStderr.map { "    " + $0 })
        }
        if !failure.openworkStderr.isEmpty {
            lines.append("  openwork rpc stderr (tail):")
            lines.append(contentsOf: failure.openworkStderr.map { "    " + $0 })
        }
        if let workDirectory { lines.append("  work kept in \(workDirectory)") }
        return lines.joined(separator: "\n")
    }

    /// The machine-readable form used by `--json`.
    public var json: JSONValue {
        var object: JSONValue = [
            "file": .string(file), "name": .string(name), "title": .string(title), "status": .string(status.rawValue),
            "durationMs": .integer(
                duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000),
        ]
        if let reason { object["reason"] = .string(reason) }
        if let workDirectory { object["workDirectory"] = .string(workDirectory) }
        if let failure {
            var details: JSONValue = [
                "message": .string(failure.message),
                "transcript": .array(failure.transcript.map { .string($0) }),
                "opencodeStderr": .array(failure.opencodeStderr.map { .string($0) }),
                "openworkStderr": .array(failure.openworkStderr.map { .string($0) }),
            ]
            if let location = failure.location {
                details["location"] = .string(location.description)
                details["line"] = .integer(Int64(location.line))
            }
            if let step = failure.step { details["step"] = .string(step) }
            if let expected = failure.expected { details["expected"] = .string(expected) }
            if let actual = failure.actual { details["actual"] = .string(actual) }
            object["failure"] = details
        }
        return object
    }
}

/// The counts of a run.
public struct SuiteSummary: Sendable {
    public var passed: Int
    public var failed: Int
    public var skipped: Int

    public init(_ outcomes: [ScenarioOutcome]) {
        passed = outcomes.count { $0.status == .passed }
        failed = outcomes.count { $0.status == .failed }
        skipped = outcomes.count { $0.status == .skipped }
    }

    /// `N passed, N failed, N skipped`.
    public var line: String { "\(passed) passed, \(failed) failed, \(skipped) skipped" }
}

/// A count with its noun in the right number: `1 scenario`, `2 scenarios`.
public enum Counted {
    public static func text(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
