import Foundation
import OpenWorkTesting
import Testing

@testable import OpenWorkCore

/// What counts as a workspace's configuration, and the watcher that notices it change, with inotify and by polling.
@Suite struct ConfigWatcherTests {
    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test(arguments: [
        ("opencode.json", true), ("opencode.jsonc", true), ("openwork.json", true), ("AGENTS.md", true),
        (".opencode", true), (".opencode/openwork.json", true), (".openwork/openwork.json", true),
        (".opencode/skills/x/SKILL.md", true), (".opencode/agent/a.md", true), (".opencode/commands", true),
        ("../opencode.json", true), ("../../opencode.jsonc", true), ("../AGENTS.md", false), ("README.md", false),
        ("src/opencode.json", false), (".opencode/skills/node_modules/x.js", false),
        (".opencode/skills/.git/HEAD", false),
        (".opencode/other/x", false), (".openwork/other.json", false),
    ])
    func relevance(_ relative: String, _ relevant: Bool) {
        #expect(ConfigFiles.isRelevant(relative) == relevant)
    }

    @Test func contentsChangeWithTheBytesOnlyAndReachUpToTheWorktreeRoot() throws {
        let root = try TemporaryDirectory("config-files")
        let repository = root.appending("repo")
        let workspace = repository + "/packages/app"
        try FileManager.default.createDirectory(atPath: repository + "/.git", withIntermediateDirectories: true)
        try write("{}", to: workspace + "/opencode.json")
        try write("{\"root\":true}", to: repository + "/opencode.json")
        try write("{\"outside\":true}", to: root.appending("opencode.json"))
        try write("skill", to: workspace + "/.opencode/skills/x/SKILL.md")
        try write("ignored", to: workspace + "/.opencode/skills/node_modules/y.js")
        let before = ConfigFiles.contents(of: workspace)
        #expect(
            Set(before.keys) == ["opencode.json", "../../opencode.json", ".opencode/skills/x/SKILL.md"])
        try write("{}", to: workspace + "/opencode.json")
        #expect(ConfigFiles.differences(before, ConfigFiles.contents(of: workspace)) == [])
        try write("{\"model\":\"x\"}", to: workspace + "/opencode.json")
        try write("{\"root\":false}", to: repository + "/opencode.json")
        #expect(
            ConfigFiles.differences(before, ConfigFiles.contents(of: workspace))
                == ["../../opencode.json", "opencode.json"])
    }

    @Test(arguments: [LifecycleSettings.Watcher.automatic, .poll])
    func noticesAFileWrittenAndATreeCreated(_ kind: LifecycleSettings.Watcher) async throws {
        let root = try TemporaryDirectory("config-watcher")
        let workspace = root.path
        var settings = LifecycleSettings()
        settings.watcher = kind
        settings.pollInterval = .milliseconds(20)
        let watcher = ConfigWatcher(settings: settings)
        watcher.watch("ws", root: workspace, at: .now)
        #if os(Linux)
            #expect(watcher.mode(of: "ws") == (kind == .poll ? .poll : .inotify))
        #endif

        /// `wanted`, or (`orAncestor`) a directory above it: a tree created at once is reported by its top
        /// directory when its files were written before its watches could be added.
        func awaitChange(_ wanted: String, orAncestor: Bool = false) async throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(20)
            var seen: [String] = []
            // Drained once more after every sleep, however long a loaded machine made it: the deadline is only
            // checked after a look.
            while true {
                for change in watcher.drain(at: .now) where change.id == "ws" { seen += change.paths }
                if seen.contains(wanted) { return true }
                if orAncestor, seen.contains(where: { wanted.hasPrefix($0 + "/") }) { return true }
                guard ContinuousClock.now < deadline else { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("never saw \(wanted); saw \(seen)")
            return false
        }

        try write("{}", to: workspace + "/opencode.json")
        #expect(try await awaitChange("opencode.json"))
        try write("skill", to: workspace + "/.opencode/skills/x/SKILL.md")
        #expect(try await awaitChange(".opencode/skills/x/SKILL.md", orAncestor: true))
        // Now every directory of the tree is watched: the file itself is reported.
        try write("again", to: workspace + "/.opencode/skills/x/SKILL.md")
        #expect(try await awaitChange(".opencode/skills/x/SKILL.md"))
        watcher.unwatch("ws")
        #expect(watcher.mode(of: "ws") == nil)
        try write("{\"a\":1}", to: workspace + "/opencode.json")
        try await Task.sleep(for: .milliseconds(100))
        #expect(watcher.drain(at: .now).isEmpty)
    }

    @Test func aWorkspaceWhoseWatchesCannotAllBeAddedIsPolledInstead() async throws {
        let root = try TemporaryDirectory("config-watcher-budget")
        try write("x", to: root.appending(".opencode/skills/x/SKILL.md"))
        var settings = LifecycleSettings()
        settings.watchBudget = 2  // the root and .opencode; not skills nor skills/x
        settings.pollInterval = .milliseconds(20)
        let watcher = ConfigWatcher(settings: settings)
        watcher.watch("ws", root: root.path, at: .now)
        #expect(watcher.mode(of: "ws") == .poll)
        // Its watches were given back: another workspace fits in the budget.
        let other = try TemporaryDirectory("config-watcher-budget-other")
        watcher.watch("other", root: other.path, at: .now)
        #if os(Linux)
            #expect(watcher.mode(of: "other") == .inotify)
        #endif
        try write("changed", to: root.appending(".opencode/skills/x/SKILL.md"))
        let deadline = ContinuousClock.now + .seconds(20)
        var seen: [String] = []
        while true {
            for change in watcher.drain(at: .now) where change.id == "ws" { seen += change.paths }
            guard !seen.contains(".opencode/skills/x/SKILL.md"), ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seen.contains(".opencode/skills/x/SKILL.md"))
    }

    @Test func relativePathsOfAncestorsCountTheLevels() {
        #expect(ConfigWatcher.relative("/r/a/b/opencode.json", to: "/r/a/b") == "opencode.json")
        #expect(ConfigWatcher.relative("/r/a/opencode.json", to: "/r/a/b") == "../opencode.json")
        #expect(ConfigWatcher.relative("/r/opencode.json", to: "/r/a/b") == "../../opencode.json")
        #expect(ConfigWatcher.relative("/r/a/b/.opencode/skills", to: "/r/a/b") == ".opencode/skills")
    }
}
