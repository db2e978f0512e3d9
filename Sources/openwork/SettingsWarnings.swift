import ArgumentParser
import Foundation
import Logging
import OpenWorkClient
import OpenWorkCore
import OpenWorkDaemon
import OpenWorkJSON
import OpenWorkLogging
import OpenWorkOperations
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Settings given to a command that the running daemon does not have: one warning line each on stderr, and
/// `warnings` in `--json` output. They apply only through `openwork daemon restart` (never silently ignored,
/// never a silent restart).
enum SettingsWarnings {
    static func messages(given: DaemonSettings, record: DaemonRecord) -> [String] {
        guard let running = record.settings else { return [] }
        return running.mismatches(given, boundPort: record.port).map { mismatch in
            "the running daemon (pid \(record.pid)) uses \(mismatch.flag) \(mismatch.running), not \(mismatch.given); "
                + "`openwork daemon restart` with these options applies them"
        }
    }

    /// One line on stderr per warning.
    static func write(_ warnings: [String]) {
        for warning in warnings { FileHandle.standardError.write(Data("openwork: warning: \(warning)\n".utf8)) }
    }

    /// Writes each warning on stderr and returns `result` with `warnings` added (when there are any).
    static func report(_ warnings: [String], in result: JSONValue) -> JSONValue {
        guard !warnings.isEmpty else { return result }
        write(warnings)
        var members = result.objectValue ?? ["result": result]
        members["warnings"] = .array(warnings.map(JSONValue.string))
        return .object(members)
    }
}
