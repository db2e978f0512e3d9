/// A step that did not hold: what was wrong and, when there is something to compare, what the step wanted and
/// what it got (pretty JSON or text). It fails the scenario at that step.
struct StepFailure: Error {
    var message: String
    var expected: String?
    var actual: String?

    init(_ message: String, expected: String? = nil, actual: String? = nil) {
        self.message = message
        self.expected = expected
        self.actual = actual
    }
}
