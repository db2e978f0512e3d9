import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds and ends the processes an engine started for a data directory, recorded or not: every child the
/// supervisor spawns carries `OPENWORK_ENGINE_DATA_DIR=<data dir>` in its environment (``ownerVariable``),
/// and so does everything those children start. The kernel shows a process's environment at exec in
/// `/proc/<pid>/environ` (readable for our own processes), so a later engine finds them even when the engine
/// that started them died before it could write anything down.
///
/// Linux only (`/proc`); elsewhere ``marked(owner:)`` finds nothing and the state file's record is all there is.
/// It does not decide *when* to sweep: the engine does, once it holds the data directory's lock, so nothing it
/// finds can belong to a live engine.
public enum OwnedProcesses {
    /// The environment variable that marks every process an engine starts with its data directory.
    public static let ownerVariable = "OPENWORK_ENGINE_DATA_DIR"

    /// A process found, with the group it leads or belongs to.
    public struct Found: Sendable, Hashable {
        public var pid: Int32
        public var group: Int32
        public var startTicks: UInt64

        public init(pid: Int32, group: Int32, startTicks: UInt64) {
            self.pid = pid
            self.group = group
            self.startTicks = startTicks
        }
    }

    /// Every running (not zombie) process marked with `owner`, except this process.
    public static func marked(owner: String) -> [Found] {
        let needle = Array("\(ownerVariable)=\(owner)".utf8)
        let me = getpid()
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.compactMap { pid -> Found? in
            guard pid != me, let entries = environment(of: pid), entries.contains(needle),
                let stat = ProcessIdentity.stat(of: pid), !stat.isZombie
            else { return nil }
            return Found(pid: pid, group: stat.group, startTicks: stat.startTicks)
        }
    }

    /// SIGTERM and SIGCONT to each process's group, up to `grace` for all to exit, then SIGKILL to the groups.
    public static func terminate(_ found: [Found], grace: Duration) async {
        guard !found.isEmpty else { return }
        let groups = Set(found.map(\.group)).filter { $0 > 1 }
        for group in groups {
            kill(-group, SIGTERM)
            kill(-group, SIGCONT)
        }
        let deadline = ContinuousClock.now + grace
        while found.contains(where: { ProcessIdentity.isAlive(pid: $0.pid, startTicks: $0.startTicks) })
            && ContinuousClock.now < deadline
        {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for group in groups { kill(-group, SIGKILL) }
        for process in found where ProcessIdentity.isAlive(pid: process.pid, startTicks: process.startTicks) {
            kill(process.pid, SIGKILL)
        }
    }

    /// The NUL-separated entries of `/proc/<pid>/environ`, or `nil` when it cannot be read.
    private static func environment(of pid: Int32) -> [[UInt8]]? {
        let descriptor = open("/proc/\(pid)/environ", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard let bytes = FileIO.readAll(descriptor, limit: 4 << 20) else { return nil }
        return bytes.split(separator: 0, omittingEmptySubsequences: true).map(Array.init)
    }
}
