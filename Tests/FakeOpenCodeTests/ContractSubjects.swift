import Testing

extension Subject {
    /// The subjects every contract test runs against: the fake always, a real opencode when `OPENCODE_BIN` is set.
    static let available: [Subject] = realIsAvailable ? [.fake, .real] : [.fake]
}

/// Makes the real-opencode half of the contract run visible: without `OPENCODE_BIN` this test is reported as
/// skipped with the reason, instead of the real runs silently not happening.
@Suite("contract: real opencode")
struct RealOpenCodeContractTests {
    @Test(
        "the contract suites also ran against a real opencode",
        .enabled(if: Subject.realIsAvailable, Subject.realSkipReason)
    )
    func contractRanAgainstRealOpenCode() async throws {
        #expect(Subject.available.contains(.real))
        let version = try await CommandLineContractTests.printedVersion(of: .real)
        #expect(version.hasPrefix("1."), "the V1 contract applies to opencode 1.x, this is \(version)")
    }
}
