import Foundation
import HarnessKit
import Testing

@Suite("Harness configuration")
struct HarnessConfigurationTests {
    @Test("a path the user gave is named as theirs, never 'build first'")
    func userPathsAreNotBuildAdvice() throws {
        let missing = NSTemporaryDirectory() + "no-such-opencode-\(UUID().uuidString)"
        let given = HarnessConfiguration(opencodeExecutable: missing, environment: [:])
        let problems = given.executableProblems().filter { $0.contains(missing) }
        #expect(problems == ["\(missing) (given with --opencode-bin or OPENCODE_BIN) does not exist"])

        let plain = NSTemporaryDirectory() + "plain-\(UUID().uuidString)"
        try "x".write(toFile: plain, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: plain) }
        let notExecutable = HarnessConfiguration(openworkExecutable: plain, environment: [:])
        #expect(notExecutable.executableProblems().contains("\(plain) (given with --openwork-bin) is not executable"))

        let builtMissing = HarnessConfiguration(fakeExecutable: missing, environment: [:])
        #expect(builtMissing.executableProblems() == ["not built yet: \(missing) (build first: swift build)"])
    }

    @Test(
        "a timeout scale is a finite number above 0",
        arguments: [("2", 2.0), ("0.5", 0.5), ("0", nil), ("-1", nil), ("inf", nil), ("nan", nil), ("2x", nil)]
            as [(String, Double?)]
    )
    func timeoutScale(text: String, scale: Double?) {
        #expect(HarnessConfiguration.timeoutScale(text) == scale)
    }

    @Test("HARNESS_TIMEOUT_SCALE: a good value scales deadlines, a bad one is a usage problem, the flag wins")
    func timeoutScaleFromEnvironment() {
        let scaled = HarnessConfiguration(environment: ["HARNESS_TIMEOUT_SCALE": "3"])
        #expect(scaled.timeoutScale == 3)
        #expect(scaled.invalidTimeoutScale == nil)
        let bad = HarnessConfiguration(environment: ["HARNESS_TIMEOUT_SCALE": "fast"])
        #expect(bad.usageProblems().first?.hasPrefix("HARNESS_TIMEOUT_SCALE=fast is not a positive number") == true)
        let flag = HarnessConfiguration(timeoutScale: 2, environment: ["HARNESS_TIMEOUT_SCALE": "fast"])
        #expect(flag.timeoutScale == 2)
        #expect(flag.invalidTimeoutScale == nil)
    }
}
