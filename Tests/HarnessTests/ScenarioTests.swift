import Foundation
import HarnessKit
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// Paths in the repository, found from this file.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let scenarios = root + "/Scenarios"
    static let failing = root + "/Tests/HarnessTests/Fixtures/failing"

    static func files(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".scenario") }
            .sorted()
    }
}

/// Every documented scenario, one Swift Testing case per file, against the bundled fake (or `OPENCODE_BIN`).
@Suite("Documented scenarios", .serialized, .timeLimit(.minutes(2)))
struct DocumentedScenarioTests {
    @Test("scenario", arguments: Repository.files(in: Repository.scenarios))
    func scenario(_ name: String) async throws {
        let outcome = await ScenarioRunner.run(
            file: Repository.scenarios + "/" + name, configuration: HarnessConfiguration())
        if outcome.status == .failed { Issue.record("\(outcome.summaryLine)\n\(outcome.details)") }
        #expect(outcome.status != .failed)
    }

    @Test("every README scenario anchor has a file, and every # doc: anchor exists")
    func anchors() throws {
        let readme = try String(contentsOfFile: Repository.root + "/README.md", encoding: .utf8)
        var anchors: Set<String> = []
        var rest = readme[...]
        while let start = rest.range(of: "<a id=\"") {
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            anchors.insert(String(rest[..<end]))
        }
        let scenarioAnchors = anchors.filter { $0.hasPrefix("scenario-") }
        #expect(!scenarioAnchors.isEmpty)
        var documented: Set<String> = []
        for name in Repository.files(in: Repository.scenarios) {
            let scenario = try ScenarioParser.parse(contentsOf: Repository.scenarios + "/" + name)
            #expect(!scenario.docs.isEmpty, "\(name) has no # doc: line")
            for doc in scenario.docs {
                let parts = doc.split(separator: "#", maxSplits: 1).map(String.init)
                #expect(parts.first == "README.md", "\(name): \(doc)")
                #expect(anchors.contains(parts.last ?? ""), "\(name): README.md has no anchor \(doc)")
                documented.insert(parts.last ?? "")
            }
        }
        for anchor in scenarioAnchors.sorted() {
            #expect(documented.contains(anchor), "README anchor \(anchor) has no scenario file")
        }
    }
}

/// Deliberately failing scenarios: each kind of assertion must be able to fail, at the step that fails.
@Suite("Runner self-tests", .timeLimit(.minutes(2)))
struct RunnerSelfTests {
    @Test("a failing fixture fails, at its last step", arguments: Repository.files(in: Repository.failing))
    func fails(_ name: String) async throws {
        let file = Repository.failing + "/" + name
        let scenario = try ScenarioParser.parse(contentsOf: file)
        let outcome = await ScenarioRunner.run(scenario, configuration: HarnessConfiguration())
        #expect(outcome.status == .failed, "\(name) passed")
        let failure = try #require(outcome.failure)
        if name == "survivor.scenario" {
            #expect(failure.location == nil)
            #expect(failure.message.contains("left running"), "\(failure.message)")
        } else if name == "leak.scenario" {
            #expect(failure.location == nil)
            #expect(failure.message.contains("found by its data directory"), "\(failure.message)")
        } else {
            #expect(failure.location == scenario.steps.last?.location, "\(outcome.details)")
            #expect(!failure.message.contains("left running"), "\(failure.message)")
        }
    }

    @Test("a failure report carries the step, expected and actual JSON, and the transcript")
    func report() async throws {
        let outcome = await ScenarioRunner.run(
            file: Repository.failing + "/result-mismatch.scenario", configuration: HarnessConfiguration())
        let failure = try #require(outcome.failure)
        #expect(failure.location?.line == 4)
        #expect(failure.step == #"expect result {"state":"ready"}"#)
        #expect(failure.expected?.contains("\"state\": \"ready\"") == true)
        #expect(failure.actual?.contains("\"state\": \"stopped\"") == true)
        #expect(failure.transcript.contains { $0.hasPrefix("-> ") && $0.contains("opencode.status") })
        #expect(outcome.details.contains("result-mismatch.scenario:4"))
        #expect(outcome.json["failure"]?["line"] == 4)
    }

    @Test("a scenario that needs the fake is skipped, with the reason, against another opencode")
    func skipsWithoutFake() async throws {
        let configuration = HarnessConfiguration(opencodeExecutable: "/usr/bin/true")
        let outcome = await ScenarioRunner.run(
            file: Repository.scenarios + "/opencode-never-ready.scenario", configuration: configuration)
        #expect(outcome.status == .skipped)
        #expect(outcome.reason?.contains("requires fake") == true)
        #expect(outcome.summaryLine.hasPrefix("SKIP opencode-never-ready: requires fake"))
    }
}

/// The `openwork-harness` executable as a user runs it.
@Suite("openwork-harness command", .timeLimit(.minutes(2)))
struct HarnessCommandTests {
    func run(_ arguments: [String]) async throws -> (TestProcess.Exit, String) {
        let process = try TestProcess(
            BuiltProducts.path(of: "openwork-harness"), arguments, workingDirectory: Repository.root)
        let output = try await process.readRemainingOutput(within: .seconds(60))
        return (try await process.waitForExit(within: .seconds(10)), output)
    }

    @Test("passing scenarios exit 0 with the closing line")
    func passes() async throws {
        let (exit, output) = try await run(["Scenarios/invalid-path.scenario", "Scenarios/unknown-*.scenario"])
        #expect(exit.code == 0, "\(output)")
        #expect(output.contains("PASS invalid-path"))
        #expect(output.contains("PASS unknown-workspace"))
        #expect(output.hasSuffix("2 passed, 0 failed, 0 skipped\n"), "\(output)")
    }

    @Test("a failing scenario exits 1; --json reports it")
    func fails() async throws {
        let (exit, output) = try await run([
            "--json", "Scenarios/invalid-path.scenario", "Tests/HarnessTests/Fixtures/failing/regex.scenario",
        ])
        #expect(exit.code == 1)
        let report = try JSONValue(parsing: output)
        #expect(report["passed"] == 1)
        #expect(report["failed"] == 1)
        #expect(report["scenarios"]?[1]?["failure"]?["line"] == 4)
    }

    @Test("an unknown verb fails before anything runs, with file:line")
    func parseError() async throws {
        let directory = try TemporaryDirectory("harness-cli")
        let file = directory.appending("bad.scenario")
        try "start\nfly away\n".write(toFile: file, atomically: true, encoding: .utf8)
        let (exit, output) = try await run([file])
        #expect(exit.code == 1)
        #expect(output.contains("bad.scenario:2: unknown verb \"fly\""), "\(output)")
    }
}
