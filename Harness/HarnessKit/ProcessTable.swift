import Foundation
import OpenWorkSystem

/// Reads `/proc` (Linux) through OpenWorkCore's ``ProcessIdentity``: which processes exist, their parents,
/// whether one is still running.
///
/// It does not signal or wait for anything; ``ScenarioRunner`` decides what to do with what it finds.
enum ProcessTable {
    /// One process, not just a pid: its pid and its start time in clock ticks, so a reused pid is another
    /// instance. What the harness tracks to prove gone at teardown.
    struct Instance: Sendable, Hashable, CustomStringConvertible {
        var pid: Int32
        var startTicks: UInt64
        var description: String { "pid \(pid)" }
    }

    struct Entry {
        var instance: Instance
        var parent: Int32
        var group: Int32
        var zombie: Bool
    }

    static func entry(_ pid: Int32) -> Entry? {
        guard let stat = ProcessIdentity.stat(of: pid) else { return nil }
        return Entry(
            instance: Instance(pid: pid, startTicks: stat.startTicks), parent: stat.parent, group: stat.group,
            zombie: stat.isZombie)
    }

    /// The running (not zombie) process `pid` is now.
    static func instance(_ pid: Int32) -> Instance? {
        guard let entry = entry(pid), !entry.zombie else { return nil }
        return entry.instance
    }

    /// Whether `instance` still runs (a zombie counts as gone).
    static func isRunning(_ instance: Instance) -> Bool {
        ProcessIdentity.isAlive(pid: instance.pid, startTicks: instance.startTicks)
    }

    /// Every running descendant of `root`.
    static func descendants(of root: Int32) -> [Instance] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        var children: [Int32: [Entry]] = [:]
        for pid in pids {
            if let entry = entry(pid), !entry.zombie { children[entry.parent, default: []].append(entry) }
        }
        var found: [Instance] = []
        var queue = [root]
        while let next = queue.popLast() {
            for child in children[next] ?? [] {
                found.append(child.instance)
                queue.append(child.instance.pid)
            }
        }
        return found
    }

    /// Every running process other than this one whose command line or environment contains `text` (a data
    /// directory: `--data-dir DIR` on argv, `OPENWORK_DATA_DIR=DIR` in the environment).
    static func naming(_ text: String) -> [Instance] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        let needle = Array(text.utf8)
        return pids.filter { $0 != getpid() }.compactMap { pid in
            guard let instance = instance(pid) else { return nil }
            for file in ["cmdline", "environ"] {
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/\(file)") else { continue }
                if Array(data).firstRange(of: needle) != nil { return instance }
            }
            return nil
        }
    }

    /// The command line of `pid`, for reports.
    static func commandLine(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "?" }
        return String(decoding: data, as: UTF8.self).split(separator: "\0").joined(separator: " ")
    }
}
