/// One line of a scenario that does something.
public struct Step: Sendable {
    public var location: SourceLocation
    /// The line as written, for reports.
    public var text: String
    /// What the line does: one of the step types in `Steps/` (`CallStep`, `ExpectFileStep`, …).
    public var action: any StepAction

    /// The verb the line starts with; for an expectation, `expect` and its kind (`expect result`).
    public var verb: String {
        let words = text.split(separator: " ", maxSplits: 2)
        guard words.first == "expect", words.count > 1 else { return words.first.map(String.init) ?? "" }
        return "expect " + words[1]
    }
}

/// What a parsed step line does when its scenario runs.
///
/// Each verb family in `Steps/` defines its step types (values holding what parsing resolved: templates, JSON,
/// deadlines) and registers how a line becomes one in ``StepRegistry``. A step does not parse, and it does not
/// clean up after itself: everything it starts is tracked in the ``ScenarioRun`` and stopped at teardown.
///
/// A step that waits has a deadline: `within D` on its line, else its type's `defaultDeadline`. Those defaults
/// are hang deadlines: what they wait for takes milliseconds to a second, and a loaded machine must not turn a
/// slow run into a failure.
public protocol StepAction: Sendable {
    /// Carries the step out; a check that does not hold throws ``StepFailure``, which fails the scenario here.
    ///
    /// Every wait is bounded by the step's deadline, already multiplied by the timeout scale.
    func run(in run: ScenarioRun) async throws
}
