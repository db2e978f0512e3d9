import ArgumentParser
import Foundation
import HarnessKit
import OpenWorkJSON

/// Which scenarios run, how often, and on which machine of a CI matrix.
struct SelectionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Run only scenarios with this name or matching this glob (repeatable: any one matches).",
            valueName: "PATTERN"))
    var filter: [String] = []

    @Option(
        help: ArgumentHelp(
            "Run only scenarios with this `# tags:` entry (repeatable: any one matches).", valueName: "TAG"))
    var tag: [String] = []

    @Option(help: ArgumentHelp("Skip scenarios with this `# tags:` entry (repeatable).", valueName: "TAG"))
    var excludeTag: [String] = []

    @Option(
        help: ArgumentHelp(
            "Run part K of N of the selection (1 ≤ K ≤ N): each scenario is in exactly one part.",
            valueName: "K/N"),
        transform: { text in
            guard let shard = Shard(text) else {
                throw ValidationError("--shard wants K/N with 1 ≤ K ≤ N, got \(text)")
            }
            return shard
        })
    var shard: Shard?

    @Option(
        help: ArgumentHelp(
            "A JSON report (--json) of an earlier run: --shard then balances parts by recorded duration.",
            valueName: "FILE"))
    var timings: String?

    @Option(
        name: .customLong("repeat"),
        help: ArgumentHelp("Run each scenario N times and report how many runs passed.", valueName: "N"))
    var repeats: Int = 1

    @Flag(help: "Start no scenario after the first failure (the rest are reported as skipped).")
    var failFast = false

    @Flag(help: "Print what would run (name, tags, file) and exit.")
    var list = false

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repeats)") }
        if timings != nil, shard == nil { throw ValidationError("--timings balances --shard: give --shard K/N") }
    }

    /// The scenarios this run executes.
    ///
    /// - Throws: `ValidationError` when the filters and tags select nothing (a typo, not an empty run; an empty
    ///   shard is fine) or the timings file is not a JSON report.
    func apply(to scenarios: [Scenario]) throws -> [Scenario] {
        var selection = ScenarioSelection()
        selection.filters = filter
        selection.tags = tag
        selection.excludedTags = excludeTag
        if !(filter.isEmpty && tag.isEmpty), !scenarios.contains(where: selection.admits) {
            let asked = filter.map { "--filter \($0)" } + tag.map { "--tag \($0)" }
            throw ValidationError("no scenario matches \(asked.joined(separator: " "))")
        }
        selection.shard = shard
        if let timings { selection.timings = try Self.readTimings(timings) }
        return selection.apply(scenarios)
    }

    private static func readTimings(_ path: String) throws -> [String: Duration] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--timings \(path): cannot read the file")
        }
        guard let report = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)),
            let timings = SuiteReport.timings(fromJSONReport: report)
        else {
            throw ValidationError("--timings \(path): not a JSON report of openwork-harness (--json FILE)")
        }
        return timings
    }
}
