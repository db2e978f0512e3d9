import Foundation
public import OpenWorkJSON
import OpenWorkSystem

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

        public init(
            location: SourceLocation? = nil, step: String? = nil, message: String, expected: String? = nil,
            actual: String? = nil, transcript: [String] = [], opencodeStderr: [String] = [],
            openworkStderr: [String] = []
        ) {
            self.location = location
            self.step = step
            self.message = message
            self.expected = expected
            self.actual = actual
            self.transcript = transcript
            self.opencodeStderr = opencodeStderr
            self.openworkStderr = openworkStderr
        }
    }

    public var file: String
    public var name: String
    public var title: String
    /// The scenario's `# tags:`.
    public var tags: [String] = []
    /// Which run of the scenario this is under `--repeat N` (1…N), `nil` when it runs once.
    public var attempt: Int?
    public var status: Status
    public var duration: Duration
    /// Every step in file order, with its duration and whether it held (those after a failure never ran).
    public var steps: [StepResult] = []
    /// How long stopping everything took (part of ``duration``; it includes a settle before the leak check).
    public var teardown: Duration = .zero
    /// Why it was skipped.
    public var reason: String?
    public var failure: Failure?
    /// Where its directories were kept (`--keep-work`).
    public var workDirectory: String?
    /// Where its artifacts were written (`--artifacts`), or why they could not be.
    public var artifacts: String?

    public init(
        file: String, name: String, title: String, status: Status, duration: Duration, reason: String? = nil,
        failure: Failure? = nil
    ) {
        self.file = file
        self.name = name
        self.title = title
        self.status = status
        self.duration = duration
        self.reason = reason
        self.failure = failure
    }

    /// The name with the run under `--repeat` (`crash-restart#2`): what reports call this run.
    public var runName: String { attempt.map { "\(name)#\($0)" } ?? name }

    /// The name of its artifacts folder: the run's name with every character a CI upload could trip on
    /// replaced by `_`.
    public var artifactName: String {
        let name = attempt.map { "\(self.name)-run\($0)" } ?? name
        return String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
    }

    /// The one line printed per scenario.
    public var summaryLine: String {
        let time = "(" + String(format: "%.2f", duration.timeInterval) + "s)"
        switch status {
        case .passed: return "PASS \(runName) \(time)"
        case .failed: return "FAIL \(runName) \(time): \(failure?.message.split(separator: "\n").first ?? "")"
        case .skipped: return "SKIP \(runName): \(reason ?? "")"
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
        if let artifacts { lines.append("  artifacts: \(artifacts)") }
        return lines.joined(separator: "\n")
    }

    /// The machine-readable form used by `--json`.
    public var json: JSONValue {
        var object: JSONValue = [
            "file": .string(file), "name": .string(name), "title": .string(title), "status": .string(status.rawValue),
            "durationMs": .integer(duration.milliseconds), "teardownMs": .integer(teardown.milliseconds),
            "tags": .array(tags.map { .string($0) }),
            "steps": .array(
                steps.map { step -> JSONValue in
                    [
                        "verb": .string(step.verb), "line": .integer(Int64(step.location.line)),
                        "text": .string(step.text), "durationMs": .integer(step.duration.milliseconds),
                        "status": .string(step.status.rawValue),
                    ]
                }),
        ]
        if let attempt { object["attempt"] = .integer(Int64(attempt)) }
        if let reason { object["reason"] = .string(reason) }
        if let workDirectory { object["workDirectory"] = .string(workDirectory) }
        if let artifacts { object["artifacts"] = .string(artifacts) }
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
