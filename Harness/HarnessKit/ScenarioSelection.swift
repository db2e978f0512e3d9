import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Which of the found scenarios run: `--filter` (names or globs), `--tag` and `--exclude-tag` (on `# tags:`),
/// then `--shard K/N` over what is left.
///
/// Selecting is pure: it reads scenarios, never runs them. A scenario is selected when it matches some filter
/// (or there is none), has one of the wanted tags (or none is wanted) and none of the excluded ones.
public struct ScenarioSelection: Sendable {
    /// Scenario names (`crash-restart`) or globs over names (`host-*`); any one matching selects.
    public var filters: [String] = []
    /// Tags of which a scenario must have at least one (none: every scenario).
    public var tags: [String] = []
    /// Tags a scenario must not have.
    public var excludedTags: [String] = []
    /// The part of the selection this machine runs.
    public var shard: Shard?
    /// Recorded durations by scenario name (`--timings`): the shard is balanced by time instead of by name hash.
    public var timings: [String: Duration] = [:]

    public init() {}

    /// Whether `scenario` passes the filters and tags (the shard is decided over the whole selection).
    public func admits(_ scenario: Scenario) -> Bool {
        let named = filters.isEmpty || filters.contains { $0 == scenario.name || fnmatch($0, scenario.name, 0) == 0 }
        let tagged = tags.isEmpty || tags.contains { scenario.tags.contains($0) }
        return named && tagged && !excludedTags.contains { scenario.tags.contains($0) }
    }

    /// The scenarios this run executes, in the order given.
    public func apply(_ scenarios: [Scenario]) -> [Scenario] {
        let admitted = scenarios.filter(admits)
        guard let shard else { return admitted }
        let mine = Set(shard.names(of: admitted.map(\.name), timings: timings))
        return admitted.filter { mine.contains($0.name) }
    }
}

/// One of N parts of a scenario list (`--shard K/N`), for a CI matrix that runs the suite on N machines.
///
/// The partition depends only on the names (and the timings, when given), never on the machine or the order
/// found, so N machines given the same selection agree: every scenario lands in exactly one shard.
/// - By name hash: names sorted by a stable hash (FNV-1a, not Swift's per-process seeded `Hasher`) are dealt
///   out in turn, so shard sizes differ by at most one.
/// - By recorded duration: longest first, each to the shard with the least time so far (ties to the lowest
///   shard); a scenario without a recorded time counts as the mean of the recorded ones.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// 1…count.
    public var index: Int
    public var count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// `K/N` with 1 ≤ K ≤ N.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { return nil }
        self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// The names (each once) that fall in this shard, in the order given.
    public func names(of names: [String], timings: [String: Duration] = [:]) -> [String] {
        let parts = Self.partition(names, count: count, timings: timings)
        let mine = Set(parts[index - 1])
        return names.filter { mine.contains($0) }
    }

    /// Every shard's names: `count` lists that together hold each distinct name exactly once.
    public static func partition(_ names: [String], count: Int, timings: [String: Duration] = [:]) -> [[String]] {
        let distinct = Array(Set(names))
        var parts = [[String]](repeating: [], count: max(1, count))
        let known = distinct.compactMap { timings[$0] }
        guard !known.isEmpty else {
            let ordered = distinct.sorted { (fnv1a($0), $0) < (fnv1a($1), $1) }
            for (position, name) in ordered.enumerated() { parts[position % parts.count].append(name) }
            return parts
        }
        let mean = known.reduce(Duration.zero, +) / known.count
        let ordered = distinct.map { ($0, timings[$0] ?? mean) }.sorted { ($1.1, $0.0) < ($0.1, $1.0) }
        var loads = [Duration](repeating: .zero, count: parts.count)
        for (name, duration) in ordered {
            let lightest = loads.indices.min { (loads[$0], $0) < (loads[$1], $1) } ?? 0
            parts[lightest].append(name)
            loads[lightest] += duration
        }
        return parts
    }

    /// FNV-1a (64-bit) of the UTF-8 bytes: the same on every machine and every run.
    public static func fnv1a(_ name: String) -> UInt64 {
        name.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
