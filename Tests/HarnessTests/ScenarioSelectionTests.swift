import HarnessKit
import Testing

@Suite("Scenario selection and shards")
struct ScenarioSelectionTests {
    /// A scenario named `name` with `tags`.
    func scenario(_ name: String, tags: String = "") throws -> Scenario {
        try ScenarioParser.parse(
            (tags.isEmpty ? "" : "# tags: \(tags)\n") + "mkdir $WORK/a\n", file: "S/\(name).scenario")
    }

    @Test("# tags: is read (commas or spaces, each once); a tag with other characters is refused")
    func tags() throws {
        #expect(try scenario("a", tags: "smoke, daemon cli,smoke").tags == ["smoke", "daemon", "cli"])
        #expect(throws: ScenarioParseError.self) { try ScenarioParser.parse("# tags: a/b\nmkdir $WORK/a", file: "x") }
    }

    @Test("filters by name or glob, wanted tags (any), excluded tags (none)")
    func filters() throws {
        let all = [
            try scenario("crash-restart", tags: "supervision"), try scenario("host-check", tags: "host, cli"),
            try scenario("host-detach", tags: "host, daemon"), try scenario("switch", tags: "smoke"),
        ]
        var selection = ScenarioSelection()
        #expect(selection.apply(all).map(\.name) == all.map(\.name))
        selection.filters = ["host-*", "switch"]
        #expect(selection.apply(all).map(\.name) == ["host-check", "host-detach", "switch"])
        selection.excludedTags = ["daemon"]
        #expect(selection.apply(all).map(\.name) == ["host-check", "switch"])
        selection = ScenarioSelection()
        selection.tags = ["cli", "supervision"]
        #expect(selection.apply(all).map(\.name) == ["crash-restart", "host-check"])
        selection.filters = ["crash-*"]
        #expect(selection.apply(all).map(\.name) == ["crash-restart"])
    }

    @Test(
        "K/N is read with 1 ≤ K ≤ N",
        arguments: [
            ("1/1", true), ("2/3", true), ("0/3", false), ("4/3", false),
            ("1/0", false), ("a/2", false), ("1/2/3", false), ("", false),
        ])
    func parsesShard(text: String, valid: Bool) {
        #expect((Shard(text) != nil) == valid)
    }

    @Test("the union of the shards is the whole set, with no overlap, by hash and by timings", arguments: 1...7)
    func partitions(count: Int) throws {
        let names = (0..<41).map { "scenario-\($0)" }
        let timings = Dictionary(
            uniqueKeysWithValues: names.prefix(30).enumerated().map { ($1, Duration.milliseconds(100 * ($0 % 9 + 1))) })
        for recorded in [[:], timings] {
            let shards = (1...count).map { Shard(index: $0, count: count)?.names(of: names, timings: recorded) ?? [] }
            let all = shards.flatMap { $0 }
            #expect(all.count == names.count)
            #expect(Set(all) == Set(names))
            if recorded.isEmpty { #expect(shards.map(\.count).max()! - shards.map(\.count).min()! <= 1) }
            // Each shard keeps the order it was given.
            for shard in shards { #expect(shard == names.filter(shard.contains)) }
        }
    }

    @Test("a shard does not depend on the order the names were found in, nor on the process")
    func stable() {
        let names = ["alpha", "beta", "gamma", "delta", "epsilon"]
        let forward = Shard.partition(names, count: 2)
        #expect(Shard.partition(names.reversed(), count: 2) == forward)
        // FNV-1a-64 of "a" (a published test vector): the hash is not Swift's per-process seeded one.
        #expect(Shard.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
    }

    @Test("by timings: longest first to the least loaded shard, unknown ones at the mean")
    func balancesByTime() {
        let timings: [String: Duration] = ["a": .seconds(10), "b": .seconds(6), "c": .seconds(5), "d": .seconds(1)]
        let parts = Shard.partition(["a", "b", "c", "d", "e"], count: 2, timings: timings)
        // e counts as the mean, 5.5: a(10) → 1; b(6) → 2; e(5.5) → 2 (6 < 10); c(5) → 1 (10 < 11.5);
        // d(1) → 2 (11.5 < 15).
        #expect(parts == [["a", "c"], ["b", "e", "d"]])
    }
}
