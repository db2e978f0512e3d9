import Foundation

/// Finds scenario files and runs them, at most `parallelism` at a time, reporting each as it ends.
public enum ScenarioSuite {
    /// At most two scenarios run at once: each drives an engine and an opencode, and CI has two cores.
    public static let defaultParallelism = 2

    /// The `.scenario` files named by `patterns` (paths, directories or globs), sorted and without
    /// duplicates; with no patterns, every file in `defaultDirectory`.
    ///
    /// - Throws: ``ScenarioParseError`` naming a pattern that matches nothing.
    public static func discover(_ patterns: [String], defaultDirectory: String = "Scenarios") throws -> [String] {
        let patterns = patterns.isEmpty ? [defaultDirectory] : patterns
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

    /// Runs `files`, calling `report` as each one ends (in completion order); returns outcomes in file order.
    public static func run(
        _ files: [String],
        configuration: HarnessConfiguration,
        parallelism: Int = defaultParallelism,
        report: @Sendable (ScenarioOutcome) -> Void = { _ in }
    ) async -> [ScenarioOutcome] {
        var outcomes = [ScenarioOutcome?](repeating: nil, count: files.count)
        await withTaskGroup(of: (Int, ScenarioOutcome).self) { group in
            var next = 0
            func launch() {
                guard next < files.count else { return }
                let index = next
                let file = files[index]
                next += 1
                group.addTask { (index, await ScenarioRunner.run(file: file, configuration: configuration)) }
            }
            for _ in 0..<max(1, parallelism) { launch() }
            while let (index, outcome) = await group.next() {
                report(outcome)
                outcomes[index] = outcome
                launch()
            }
        }
        return outcomes.compactMap { $0 }
    }
}
