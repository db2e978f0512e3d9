import ArgumentParser
import Foundation
import HarnessKit
import OpenWorkJSON
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#endif

@main
struct HarnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openwork-harness",
        abstract: "Runs scenario files against openwork rpc and the fake opencode (or a real one).",
        discussion: """
            Each scenario gets fresh $WORK and $DATA directories, its own openwork rpc and opencode on ports the \
            kernel picks; --jobs of them run at once. Deadlines are multiplied by --timeout-scale \
            (or HARNESS_TIMEOUT_SCALE). Exit status: 0 all passed (or skipped), 1 a scenario failed, 2 a scenario \
            file is invalid (nothing runs), 64 a usage error.
            """
    )

    @Argument(help: "Scenario files, directories or globs (default: every file in --scenario-dir).")
    var paths: [String] = []

    @Option(
        help: ArgumentHelp(
            "The scenario directory (default: the nearest Scenarios/ in this directory or a parent).",
            valueName: "DIR"))
    var scenarioDir: String?

    @OptionGroup(title: "Selection")
    var selection: SelectionOptions

    @OptionGroup(title: "Reports")
    var reports: ReportOptions

    @Option(help: "The opencode to drive (default: $OPENCODE_BIN, else the bundled fake-opencode).")
    var opencodeBin: String?

    @Option(help: "The openwork executable (default: the one built next to this harness).")
    var openworkBin: String?

    @Option(help: ArgumentHelp("How many scenarios run at once (the default is the number of cores).", valueName: "N"))
    var jobs: Int = ScenarioSuite.defaultParallelism

    @Option(
        help: ArgumentHelp(
            "Multiply every deadline by this positive number (default: $HARNESS_TIMEOUT_SCALE, else 1).",
            valueName: "X"))
    var timeoutScale: String?

    @Flag(help: "Keep each scenario's work and data directories and print where they are.")
    var keepWork = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let timeoutScale, HarnessConfiguration.timeoutScale(timeoutScale) == nil {
            throw ValidationError("--timeout-scale must be a positive number, got \"\(timeoutScale)\"")
        }
    }

    func run() async throws {
        _ = signal(SIGPIPE, SIG_IGN)
        var configuration = HarnessConfiguration(
            opencodeExecutable: opencodeBin, timeoutScale: timeoutScale.flatMap(HarnessConfiguration.timeoutScale),
            keepWork: keepWork)
        if let openworkBin { configuration.openworkExecutable = openworkBin }
        if let problem = configuration.usageProblems().first { throw ValidationError(problem) }
        configuration.artifacts = reports.artifactPolicy
        let output = reports.output
        let (scenarios, invalid) = ScenarioSuite.load(try scenarioFiles())
        guard invalid.isEmpty else {
            for error in invalid { output.note("invalid: \(error)") }
            output.note("\(Counted.text(invalid.count, "scenario file")) invalid: nothing ran")
            throw ExitCode(2)
        }
        let selected = try selection.apply(to: scenarios)
        if selection.list {
            for scenario in selected { print(Self.listing(scenario)) }
            return
        }
        output.text(
            "# openwork-harness: \(Counted.text(selected.count, "scenario"))"
                + (selection.repeats > 1 ? " × \(selection.repeats)" : "") + ", \(jobs) at once, opencode "
                + configuration.opencodeExecutable + (selection.shard.map { ", shard \($0)" } ?? ""))
        let clock = ContinuousClock()
        let began = clock.now
        let options = ScenarioSuite.RunOptions(
            parallelism: jobs, repeats: selection.repeats, failFast: selection.failFast)
        let outcomes = await ScenarioSuite.run(selected, configuration: configuration, options: options) { outcome in
            output.text(outcome.summaryLine)
            let details = outcome.details
            if outcome.status == .failed, !details.isEmpty { output.text(details) }
            if outcome.status == .passed {
                if let kept = outcome.workDirectory { output.text("  work kept in \(kept)") }
                if let artifacts = outcome.artifacts { output.text("  artifacts: \(artifacts)") }
            }
        }
        let report = SuiteReport(
            outcomes: outcomes, opencode: configuration.opencodeExecutable, duration: clock.now - began)
        try reports.write(report)
        let slowest = report.slowestSteps(10)
        if !slowest.isEmpty {
            output.text("# slowest steps:")
            for line in slowest { output.text("#  " + line) }
        }
        for count in report.repeatCounts {
            output.text("# \(count.name): \(count.passed) of \(count.runs) passed")
        }
        output.text("# " + String(format: "%.1f", report.duration.timeInterval) + " s in all")
        output.text(report.summary.line)
        if report.summary.failed > 0 { throw ExitCode(1) }
    }

    /// The files named on the command line, else every file of the scenario directory.
    private func scenarioFiles() throws -> [String] {
        var patterns = paths
        if patterns.isEmpty {
            let cwd = FileManager.default.currentDirectoryPath
            guard let directory = scenarioDir ?? ScenarioSuite.findScenarioDirectory(from: cwd) else {
                throw ValidationError(
                    "no \(ScenarioSuite.directoryName)/ directory with .scenario files in \(cwd) or any parent: "
                        + "name scenario files or directories, or give --scenario-dir")
            }
            patterns = [directory]
        }
        do {
            return try ScenarioSuite.discover(patterns)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// A `--list` line: name, tags, what it needs, file.
    static func listing(_ scenario: Scenario) -> String {
        var line = scenario.name
        if !scenario.tags.isEmpty { line += "  [" + scenario.tags.joined(separator: ", ") + "]" }
        if scenario.requirements.contains("fake") { line += "  (requires fake)" }
        return line + "  " + scenario.file
    }
}
