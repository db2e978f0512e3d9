/// How one step of a scenario run went: which step, how long it took, and whether it held.
///
/// Every report carries these: a failed scenario shows where the time went and which steps never ran.
public struct StepResult: Sendable {
    public enum Status: String, Sendable {
        case passed
        case failed
        /// An earlier step failed, so this one never ran.
        case notRun = "not-run"
    }

    public var location: SourceLocation
    /// The line as written.
    public var text: String
    /// The verb: the first word, or `expect KIND`.
    public var verb: String
    public var duration: Duration
    public var status: Status

    public init(_ step: Step, duration: Duration, status: Status) {
        location = step.location
        text = step.text
        verb = step.verb
        self.duration = duration
        self.status = status
    }
}
