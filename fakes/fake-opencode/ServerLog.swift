import Foundation

/// opencode's `--print-logs` output on stderr: `INFO  2026-11-21T05:40:00 +3ms service=server key=value message`.
///
/// Without `--print-logs` nothing is written (opencode then logs to a file, which the fake does not keep).
struct ServerLog: Sendable {
    enum Level: String, CaseIterable, Comparable, Sendable {
        case debug = "DEBUG"
        case info = "INFO"
        case warn = "WARN"
        case error = "ERROR"

        private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

        static func < (left: Level, right: Level) -> Bool { left.rank < right.rank }
    }

    /// The lowest level written; `nil` writes nothing.
    var threshold: Level?
    var clock: WallClock = .system
    private let started = ContinuousClock.now

    init(threshold: Level?, clock: WallClock = .system) {
        self.threshold = threshold
        self.clock = clock
    }

    func log(_ level: Level, service: String, _ message: String, _ fields: KeyValuePairs<String, String> = [:]) {
        guard let threshold, level >= threshold else { return }
        let elapsed = (ContinuousClock.now - started).components
        let milliseconds = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
        let stamp = String(WallClock.isoString(clock.milliseconds()).prefix(19))
        var line = level.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
        line += " \(stamp) +\(milliseconds)ms service=\(service)"
        for (key, value) in fields { line += " \(key)=\(value)" }
        SystemCalls.writeAll(line + " " + message + "\n", to: SystemCalls.standardError)
    }
}
