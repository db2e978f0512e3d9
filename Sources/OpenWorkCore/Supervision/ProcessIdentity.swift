import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Identifies a process across pid reuse: its pid and its start time.
public enum ProcessIdentity {
    /// The start time of `pid` in clock ticks since boot, from `/proc/<pid>/stat` (field 22, counted after the
    /// last `)` because the command name may contain spaces and parentheses). `nil` when the process is gone.
    public static func startTicks(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// Whether `pid` is alive and is still the process that started at `ticks`.
    public static func isAlive(pid: Int32, startTicks ticks: UInt64) -> Bool {
        guard pid > 1, let current = startTicks(of: pid) else { return false }
        // A zombie has exited: its state field is "Z".
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"),
            stat[stat.index(after: close)...].split(separator: " ").first == "Z"
        {
            return false
        }
        return current == ticks
    }
}
