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
}
