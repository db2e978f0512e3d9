import Foundation
import Logging
public import OpenWorkSystem
import Synchronization

/// The process-wide logging setup, bootstrapped once by the command that runs. Library users who never
/// bootstrap keep swift-log's default handler (stderr); the engine forwards child output only when its
/// configuration carries settings.
public enum OpenWorkLogging {
    private static let installed = Mutex(false)

    /// Installs `settings` as swift-log's handler for every logger. The first call wins (swift-log allows one).
    public static func bootstrap(_ settings: LogSettings) {
        let first = installed.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in OpenWorkLogHandler(label: label, settings: settings) }
    }
}

/// Reads settings the way every openwork option does: the flag, then the environment variable, then the default.
public enum Setting {
    /// `true/1/yes` → true, `false/0/no` → false (any case, surrounding spaces ignored); anything else → nil.
    public static func boolean(_ text: String) -> Bool? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes": true
        case "false", "0", "no": false
        default: nil
        }
    }

    /// The flag when given, else the variable when set (it must be a boolean word), else the default.
    public static func boolean(
        flag: Bool?, variable: String, environment: [String: String], default defaultValue: Bool
    ) throws(OpenWorkError) -> Bool {
        if let flag { return flag }
        guard let text = environment[variable], !text.isEmpty else { return defaultValue }
        guard let value = boolean(text) else {
            throw OpenWorkError(
                .invalidSetting, "\(variable)=\(text) is not a boolean: use true/1/yes or false/0/no")
        }
        return value
    }

    /// The flag when given (it must lie in `range`: `option` names it), else the variable when set (a whole
    /// number in `range`), else nil.
    public static func integer(
        flag: Int?, option: String, variable: String, environment: [String: String], range: ClosedRange<Int>
    ) throws(OpenWorkError) -> Int? {
        if let flag {
            guard range.contains(flag) else {
                throw OpenWorkError(
                    .invalidSetting, "\(option) must be from \(range.lowerBound) to \(range.upperBound)")
            }
            return flag
        }
        guard let text = environment[variable], !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw OpenWorkError(
                .invalidSetting,
                "\(variable) must be a number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return value
    }

    /// The flag when given, else the variable when set and not empty, else the default.
    public static func string(flag: String?, variable: String, environment: [String: String]) -> String? {
        if let flag { return flag }
        guard let text = environment[variable], !text.isEmpty else { return nil }
        return text
    }
}
