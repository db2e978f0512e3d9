import Foundation

/// Finds scenario files, parses them, and runs them, at most `parallelism` at a time, reporting each as it ends.
///
/// Scenarios share nothing: each has its own `$WORK` and `$DATA`, its own `openwork rpc` and opencode (on
/// ports the kernel picks), so any number can run at once; the limit is only how much the machine can carry.
public enum ScenarioSuite {
    /// One scenario per core.
    public static var defaultParallelism: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The name of the directory of scenario files that ``findScenarioDirectory(from:)`` looks for.
    public static let directoryName = "Scenarios"

    /// The nearest `Scenarios/` holding `.scenario` files, in `directory` or one of its parents.
    public static func findScenarioDirectory(from directory: String) -> String? {
        var candidate = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            let path = candidate.appendingPathComponent(directoryName).path
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if names.contains(where: { $0.hasSuffix(".scenario") }) { return path }
            let parent = candidate.deletingLastPathComponent()
            guard parent.path != candidate.path else { return nil }
            candidate = parent
        }
    }

    /// Parses every file: the scenarios, and the errors of those that cannot run (both in file order).
    public static func load(_ files: [String]) -> (scenarios: [Scenario], invalid: [ScenarioParseError]) {
        var scenarios: [Scenario] = []
        var invalid: [ScenarioParseError] = []
        for file in files {
            do {
                scenarios.append(try ScenarioParser.parse(contentsOf: file))
            } catch let error as ScenarioParseError {
                invalid.append(error)
            } catch {
                invalid.append(ScenarioParseError(location: .init(file: file, line: 0), message: "\(error)"))
            }
        }
        return (scenarios, invalid)
    }

    /// The `.scenario` files named by `patterns` (paths, directories or globs), sorted and without duplicates.
    /// With no path given, the command names the directory ``findScenarioDirectory(from:)`` found.
    ///
    /// - Throws: ``ScenarioParseError`` naming a pattern that matches nothing.
    public static func discover(_ patterns: [String]) throws -> [String] {
        var files: [String] = []
        for pattern in patterns {
            let matches = expand(pattern)
            guard !matches.isEmpty else {
                throw ScenarioParseError(location: .init(file: pattern, line: 0), message: "no scenario files match")
            }
            for match in matches where !files.contains(match) { files.append(match) }
        }
        return files
    }

    private static func expand(_ pattern: String) -> [String] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: pattern, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return [pattern] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: pattern)) ?? []
            let directory = pattern.hasSuffix("/") ? String(pattern.dropLast()) : pattern
            return names.filter { $0.hasSuffix(".scenario") }.sorted().map { directory + "/" + $0 }
        }
        let directory = (pattern as NSString).deletingLastPathComponent
        let namePattern = (pattern as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        return names.filter { $0.hasSuffix(".scenario") && fnmatch(namePattern, $0, 0) == 0 }.sorted()
            .map { directory.isEmpty ? $0 : directory + "/" + $0 }
    }

    /// How a set of scenarios is run.
    public struct RunOptions: Sendable {
        /// How many scenario runs at once (at least 1).
        public var parallelism: Int
        /// How many times each scenario runs (`--repeat`): runs are then numbered in reports.
        public var repeats: Int
        /// After the first failure, start nothing more: runs not started are skipped with the reason (those
        /// already running finish, so everything they started is stopped).
        public var failFast: Bool

        public init(parallelism: Int = ScenarioSuite.defaultParallelism, repeats: Int = 1, failFast: Bool = false) {
            self.parallelism = parallelism
            self.repeats = repeats
            self.failFast = failFast
        }
    }

    /// Runs `scenarios` (each `options.repeats` times, its runs one after another in the list), calling
    /// `report` as each run ends (in completion order); returns the outcomes in list order.
    public static func run(
        _ scenarios: [Scenario],
        configuration: HarnessConfiguration,
        options: RunOptions = RunOptions(),
        report: @Sendable (ScenarioOutcome) -> Void = { _ in }
    ) async -> [ScenarioOutcome] {
        let runs = scenarios.flatMap { scenario in
            (1...max(1, options.repeats)).map { (scenario, options.repeats > 1 ? Optional($0) : nil) }
        }
        var outcomes = [ScenarioOutcome?](repeating: nil, count: runs.count)
        var firstFailure: String?
        await withTaskGroup(of: (Int, ScenarioOutcome).self) { group in
            var next = 0
            func launch() {
                guard next < runs.count, firstFailure == nil || !options.failFast else { return }
                let index = next
                let (scenario, attempt) = runs[index]
                next += 1
                group.addTask {
                    (index, await ScenarioRunner.run(scenario, configuration: configuration, attempt: attempt))
                }
            }
            for _ in 0..<max(1, options.parallelism) { launch() }
            while let (index, outcome) = await group.next() {
                report(outcome)
                outcomes[index] = outcome
                if outcome.status == .failed, firstFailure == nil { firstFailure = outcome.runName }
                launch()
            }
        }
        return outcomes.enumerated().map { index, outcome in
            if let outcome { return outcome }
            let (scenario, attempt) = runs[index]
            var skipped = ScenarioOutcome(
                file: scenario.file, name: scenario.name, title: scenario.title, status: .skipped, duration: .zero,
                reason: "not run: --fail-fast after \(firstFailure ?? "a failure") failed")
            skipped.tags = scenario.tags
            skipped.attempt = attempt
            report(skipped)
            return skipped
        }
    }
}
