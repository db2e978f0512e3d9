import Foundation
import OpenWorkSystem

/// A process identity that survives pid reuse: the pid and its start time in clock ticks (`/proc/PID/stat`).
struct ProcessIdentity: Sendable, Hashable, CustomStringConvertible {
    var pid: Int32
    var startTicks: UInt64
    var description: String { "pid \(pid)" }
}

/// Reads `/proc` (Linux): which processes exist, their parents, whether one is still running.
///
/// It does not signal or wait for anything; ``ScenarioRunner`` decides what to do with what it finds.
enum ProcessTable {
    struct Entry {
        var identity: ProcessIdentity
        var parent: Int32
        var group: Int32
        var zombie: Bool
    }

    static func entry(_ pid: Int32) -> Entry? {
        // Core parses /proc/<pid>/stat; this module's own `ProcessIdentity` shadows Core's name.
        guard let stat = OpenWorkSystem.ProcessIdentity.stat(of: pid) else { return nil }
        return Entry(
            identity: ProcessIdentity(pid: pid, startTicks: stat.startTicks), parent: stat.parent, group: stat.group,
            zombie: stat.isZombie)
    }

    /// The identity of a running (not zombie) process.
    static func identity(_ pid: Int32) -> ProcessIdentity? {
        guard let entry = entry(pid), !entry.zombie else { return nil }
        return entry.identity
    }

    /// Whether the very process `identity` names still runs (a zombie counts as gone).
    static func isRunning(_ identity: ProcessIdentity) -> Bool {
        guard let entry = entry(identity.pid), !entry.zombie else { return false }
        return entry.identity.startTicks == identity.startTicks
    }

    /// Every running descendant of `root`.
    static func descendants(of root: Int32) -> [ProcessIdentity] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        var children: [Int32: [Entry]] = [:]
        for pid in pids {
            if let entry = entry(pid), !entry.zombie { children[entry.parent, default: []].append(entry) }
        }
        var found: [ProcessIdentity] = []
        var queue = [root]
        while let next = queue.popLast() {
            for child in children[next] ?? [] {
                found.append(child.identity)
                queue.append(child.identity.pid)
            }
        }
        return found
    }

    /// Every running process other than this one whose command line or environment contains `text` (a data
    /// directory: `--data-dir DIR` on argv, `OPENWORK_DATA_DIR=DIR` in the environment).
    static func naming(_ text: String) -> [ProcessIdentity] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        let needle = Array(text.utf8)
        return pids.filter { $0 != getpid() }.compactMap { pid in
            guard let identity = identity(pid) else { return nil }
            for file in ["cmdline", "environ"] {
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/\(file)") else { continue }
                if Array(data).firstRange(of: needle) != nil { return identity }
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
