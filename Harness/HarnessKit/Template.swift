/// Text with `$NAME` references, resolved when the step runs (``ScenarioRun`` substitutes the values then).
public struct Template: Sendable, Hashable {
    public var text: String
}
