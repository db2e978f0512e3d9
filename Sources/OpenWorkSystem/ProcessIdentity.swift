import Foundation

/// Identifies a process across pid reuse (its pid and its start time) and reads what Linux says about it in
/// `/proc`. The one place that parses `/proc/<pid>/stat`.
public enum ProcessIdentity {
    /// The fields of `/proc/<pid>/stat` openwork uses.
    public struct Stat: Sendable, Hashable {
        /// One letter: `R`, `S`, `D`, `T`, `Z` (zombie: exited, waiting to be reaped), …
        public var state: Character
        public var parent: Int32
        public var group: Int32
        /// Start time in clock ticks since boot; with the pid, it names one process even after pid reuse.
        public var startTicks: UInt64

        public var isZombie: Bool { state == "Z" }
    }

    /// The stat fields of `pid`, or `nil` when there is no such process. Fields are counted after the last
    /// `)`, because the command name may contain spaces and parentheses.
    public static func stat(of pid: Int32) -> Stat? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let parent = Int32(fields[1]),
            let group = Int32(fields[2]), let start = UInt64(fields[19])
        else { return nil }
        return Stat(state: state, parent: parent, group: group, startTicks: start)
    }

    /// The start time of `pid` in clock ticks since boot; `nil` when the process is gone.
    public static func startTicks(of pid: Int32) -> UInt64? { stat(of: pid)?.startTicks }

    /// Whether `pid` is alive (not a zombie) and is still the process that started at `ticks`.
    public static func isAlive(pid: Int32, startTicks ticks: UInt64) -> Bool {
        guard pid > 1, let stat = stat(of: pid), !stat.isZombie else { return false }
        return stat.startTicks == ticks
    }

    /// Whether `pid` has exited (gone, or a zombie waiting to be reaped).
    public static func isGone(_ pid: Int32) -> Bool {
        guard let stat = stat(of: pid) else { return true }
        return stat.isZombie
    }

    /// The resident set size of `pid` in KiB (`VmRSS` of `/proc/<pid>/status`), or `nil`.
    public static func residentKiB(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }
}
