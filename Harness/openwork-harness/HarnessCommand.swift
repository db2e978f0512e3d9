import ArgumentParser
import Foundation
import HarnessKit
import OpenWorkJSON

#if canImport(Glibc)
    import Glibc
#endif

@main
struct HarnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openwork-harness",
        abstract: "Runs scenario files against openwork rpc and the fake opencode (or a real one).",
        discussion: """
            Each scenario gets fresh $WORK and $DATA directories and its own openwork rpc. At most two run at \
            once. Deadlines are multiplied by HARNESS_TIMEOUT_SCALE. Exits 1 when any scenario fails.
            """
    )

    @Argument(help: "Scenario files, directories or globs (default: every file in Scenarios/).")
    var paths: [String] = []

    @Option(help: "The opencode to drive (default: $OPENCODE_BIN, else the bundled fake-opencode).")
    var opencodeBin: String?

    @Option(help: "The openwork executable (default: the one built next to this harness).")
    var openworkBin: String?

    @Option(help: "How many scenarios run at once (1 or 2).")
    var jobs: Int = ScenarioSuite.defaultParallelism

    @Flag(help: "Keep each scenario's work and data directories and print where they are.")
    var keepWork = false

    @Flag(help: "Print a JSON report on stdout (the per-scenario lines go to stderr).")
    var json = false

    func validate() throws {
        guard (1...2).contains(jobs) else { throw ValidationError("--jobs must be 1 or 2") }
    }

    func run() async throws {
        _ = signal(SIGPIPE, SIG_IGN)
        var configuration = HarnessConfiguration(opencodeExecutable: opencodeBin, keepWork: keepWork)
        if let openworkBin { configuration.openworkExecutable = openworkBin }
        if let problem = configuration.executableProblems().first { throw ValidationError(problem) }
        let files: [String]
        do {
            files = try ScenarioSuite.discover(paths)
        } catch {
            throw ValidationError("\(error)")
        }
        let toStderr = json
        let emit: @Sendable (String) -> Void = { text in
            let bytes = Array((text + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(toStderr ? 2 : 1, $0.baseAddress, $0.count) }
        }
        emit(
            "# openwork-harness: \(Counted.text(files.count, "scenario")), opencode \(configuration.opencodeExecutable)"
        )
        let clock = ContinuousClock()
        let began = clock.now
        let outcomes = await ScenarioSuite.run(files, configuration: configuration, parallelism: jobs) { outcome in
            emit(outcome.summaryLine)
            if outcome.status == .failed || outcome.workDirectory != nil {
                let details = outcome.details
                if !details.isEmpty { emit(details) }
                if outcome.status != .failed, let kept = outcome.workDirectory { emit("  work kept in \(kept)") }
            }
        }
        let summary = SuiteSummary(outcomes)
        let elapsed = clock.now - began
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        emit("# " + String(format: "%.1f", seconds) + " s in all")
        emit(summary.line)
        if json {
            let report: JSONValue = [
                "scenarios": .array(outcomes.map(\.json)),
                "passed": .integer(Int64(summary.passed)), "failed": .integer(Int64(summary.failed)),
                "skipped": .integer(Int64(summary.skipped)),
                "opencode": .string(configuration.opencodeExecutable),
            ]
            print(try report.serialized(.pretty))
        }
        if summary.failed > 0 { throw ExitCode(1) }
    }
}
