import Foundation
public import OpenWorkSystem

/// Reading what a service announces on its output: the URL of its listening line.
public enum ServiceOutput {
    /// The URL after `marker` in the first line of `child`'s output that has one (other output is tolerated), or
    /// `nil` at the deadline or when its output ends first.
    public static func firstURL(after marker: String, in child: ChildProcess, before deadline: ContinuousClock.Instant)
        async -> String?
    {
        let lines = child.outputLines
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await line in lines {
                    if let url = url(after: marker, in: line) { return url }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// The http(s) URL after `marker` in `line`, if the line is such a line. A wildcard bind (`0.0.0.0`, a
    /// container's or `--remote-access`) is reached on loopback from here, so it is named `127.0.0.1`.
    public static func url(after marker: String, in line: String) -> String? {
        guard let range = line.range(of: marker) else { return nil }
        let url = String(line[range.upperBound...]).trimmingWhitespace
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { return nil }
        return url.replacingOccurrences(of: "://0.0.0.0:", with: "://127.0.0.1:")
    }
}
