/// One parsed scenario file: its headers, its steps in order, and its fixture sections.
///
/// A scenario is data only; ``ScenarioRunner`` executes it. Parsing already resolved everything that can be
/// checked without running: verbs, JSON payloads, durations, signals and variable references.
public struct Scenario: Sendable {
    /// Where the scenario came from, as given (used in `file:line` locations).
    public var file: String
    /// `# title:`; defaults to the file name.
    public var title: String
    /// `# doc:` lines, e.g. `README.md#scenario-invalid-path`.
    public var docs: [String]
    /// `# requires:` entries; `fake` means fault knobs or `/__fake` introspection.
    public var requirements: Set<String>
    /// `# tags:` entries (comma- or space-separated), in the order written: what `--tag` and `--exclude-tag`
    /// select on, and what JUnit can group by.
    public var tags: [String]
    public var steps: [Step]
    /// `-- name --` sections: the text up to the next section or the end of the file.
    public var sections: [String: String]

    /// The file name without directory and extension.
    public var name: String {
        let base = file.split(separator: "/").last.map(String.init) ?? file
        return base.hasSuffix(".scenario") ? String(base.dropLast(".scenario".count)) : base
    }
}
