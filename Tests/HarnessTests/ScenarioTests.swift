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
        let scenario = try ScenarioParser.parse(contentsOf: Repository.scenarios + "/" + name)
        let outcome = await ScenarioRunner.run(scenario, configuration: HarnessConfiguration())
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

/// The README's scenario-format table, read as a newcomer reads it.
@Suite("Scenario format documentation")
struct ScenarioFormatDocumentationTests {
    /// The verbs named in the first column of the first table under "### The scenario format": the first word
    /// of each backticked form, or `expect KIND` for each `expect a\|b` kind; headers (`# …`) are not verbs.
    static func documentedVerbs() throws -> Set<String> {
        let readme = try String(contentsOfFile: Repository.root + "/README.md", encoding: .utf8)
        let start = try #require(readme.range(of: "\n### The scenario format\n"))
        let lines = readme[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
        let table = lines.drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
        var verbs: Set<String> = []
        for line in table where line.hasPrefix("| `") {
            let cell = line.dropFirst(2).replacingOccurrences(of: "\\|", with: "\u{1}")
            let first = cell[..<(cell.range(of: " | ")?.lowerBound ?? cell.endIndex)]
            for (index, form) in first.split(separator: "`", omittingEmptySubsequences: false).enumerated()
            where index % 2 == 1 && !form.hasPrefix("#") {
                let words = form.split(separator: " ")
                guard let verb = words.first else { continue }
                if verb == "expect", words.count > 1 {
                    for kind in words[1].split(separator: "\u{1}") { verbs.insert("expect \(kind)") }
                } else {
                    verbs.insert(String(verb))
                }
            }
        }
        return verbs
    }

    @Test("every verb is documented, every documented verb exists")
    func everyVerbDocumented() throws {
        let documented = try Self.documentedVerbs()
        let registered = Set(ScenarioParser.vocabulary)
        #expect(registered.count > 20)
        #expect(registered.subtracting(documented).sorted() == [], "registered but not in the README's table")
        #expect(documented.subtracting(registered).sorted() == [], "in the README's table but not registered")
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
        let scenario = try ScenarioParser.parse(contentsOf: Repository.failing + "/result-mismatch.scenario")
        let outcome = await ScenarioRunner.run(scenario, configuration: HarnessConfiguration())
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
        let scenario = try ScenarioParser.parse(contentsOf: Repository.scenarios + "/opencode-never-ready.scenario")
        let outcome = await ScenarioRunner.run(scenario, configuration: configuration)
        #expect(outcome.status == .skipped)
        #expect(outcome.reason?.contains("requires fake") == true)
        #expect(outcome.summaryLine.hasPrefix("SKIP opencode-never-ready: requires fake"))
    }
}
