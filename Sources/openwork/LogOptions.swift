import ArgumentParser
import Foundation
import Logging
import OpenWorkLogging
import OpenWorkSystem

/// `--log-format`, `--run-id`, `--verbose`: how the serving commands (`rpc`, `daemon run`) log, on stderr.
/// Each is the flag, else its `OPENWORK_*` variable, else the default.
struct LogOptions: ParsableArguments {
    @Option(
        help:
            "Log lines on stderr: pretty or json (OpenTelemetry records) (default: $OPENWORK_LOG_FORMAT, else pretty).")
    var logFormat: String?

    @Option(help: "The run id in every JSON log record (default: $OPENWORK_RUN_ID, else a random UUID).")
    var runId: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Log debug records too (default: $OPENWORK_VERBOSE — true/1/yes or false/0/no — else off).")
    var verbose: Bool?

    func validate() throws {
        _ = try settings(ProcessInfo.processInfo.environment)
    }

    /// The settings these options and `environment` give.
    func settings(_ environment: [String: String]) throws -> LogSettings {
        let formatText = Setting.string(flag: logFormat, variable: "OPENWORK_LOG_FORMAT", environment: environment)
        guard let format = LogFormat(rawValue: formatText ?? LogFormat.pretty.rawValue) else {
            let source = logFormat == nil ? "OPENWORK_LOG_FORMAT" : "--log-format"
            throw ValidationError("\(source) must be pretty or json, got \(formatText ?? "")")
        }
        let verbose: Bool
        do {
            verbose = try Setting.boolean(
                flag: self.verbose, variable: "OPENWORK_VERBOSE", environment: environment, default: false)
        } catch {
            throw ValidationError(error.message)
        }
        let runID = Setting.string(flag: runId, variable: "OPENWORK_RUN_ID", environment: environment)
        return LogSettings(format: format, runID: runID ?? LogSettings.newRunID(), level: verbose ? .debug : .info)
    }

    /// Installs the handler for this process and returns the settings (for forwarding child output).
    @discardableResult
    func bootstrap() -> LogSettings {
        let settings =
            (try? settings(ProcessInfo.processInfo.environment)) ?? LogSettings(runID: LogSettings.newRunID())
        OpenWorkLogging.bootstrap(settings)
        return settings
    }

    /// The explicitly given options, to pass on to a daemon this command starts (the environment is inherited).
    var arguments: [String] {
        var arguments: [String] = []
        if let logFormat { arguments += ["--log-format", logFormat] }
        if let runId { arguments += ["--run-id", runId] }
        if let verbose { arguments.append(verbose ? "--verbose" : "--no-verbose") }
        return arguments
    }
}
