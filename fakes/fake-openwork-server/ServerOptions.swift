import FakeSupport
import Foundation

/// The command line and environment of `fake-openwork-server`, parsed without side effects.
///
/// Flags (as the orchestrator passes them): `--host H` (or `--hostname`; default `127.0.0.1`), `--port N`
/// (default 0: a free port), `--workspace W`, `--approval manual|auto` (default manual), `--approval-timeout MS`
/// (or `--approval-timeout-ms`; default 30000), `--read-only`, `--cors a,b`, `--opencode-base-url U`,
/// `--opencode-directory D`, `--log-format pretty|json`. Secrets come from the environment only; a secret on
/// argv is refused (see ``SecretArguments``). Flags win over the environment where both exist.
struct ServerOptions: Sendable, Equatable {
    enum Mode: String, Sendable { case manual, auto }
    enum LogFormat: String, Sendable { case pretty, json }

    var hostname = "127.0.0.1"
    var port = 0
    var workspace: String?
    var mode = Mode.manual
    var approvalTimeoutMs = 30_000
    var readOnly = false
    var corsOrigins: [String] = []
    var opencode = OpenCodeTarget()
    var logFormat = LogFormat.pretty
    /// `OPENWORK_TOKEN`: the collaborator token clients present as `Authorization: Bearer …`.
    var collaboratorToken: String?
    /// `OPENWORK_HOST_TOKEN` (required): presented as `X-OpenWork-Host-Token`.
    var hostToken = ""
    var runID: String?
    /// `OTEL_RESOURCE_ATTRIBUTES` as given (`k=v,k=v`).
    var resourceAttributes: String?
    var controlBaseURL: String?
    var controlToken: String?
    /// The command line as received (for `/__fake/state`).
    var arguments: [String] = []
    var knobs = Knobs()

    var introspection: Bool { knobs.introspection }

    /// The variables whose values must never appear on argv.
    static let secretVariables = [
        "OPENWORK_TOKEN", "OPENWORK_HOST_TOKEN", "OPENWORK_OPENCODE_PASSWORD", "OPENWORK_CONTROL_TOKEN",
    ]

    struct Problem: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String], environment: [String: String]) throws(Problem) -> ServerOptions {
        if let problem = SecretArguments.problem(
            in: arguments, environment: environment, secretNames: secretVariables)
        {
            throw Problem(description: problem)
        }
        var options = ServerOptions()
        options.arguments = arguments
        options.applyEnvironment(environment)
        try options.applyFlags(arguments)
        guard let token = environment["OPENWORK_HOST_TOKEN"], !token.isEmpty else {
            throw Problem(description: "OPENWORK_HOST_TOKEN must be set (the host token is never taken from argv)")
        }
        options.hostToken = token
        do {
            options.knobs = try Knobs(environment: environment)
        } catch {
            throw Problem(description: error.description)
        }
        return options
    }

    private mutating func applyEnvironment(_ environment: [String: String]) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        collaboratorToken = value("OPENWORK_TOKEN")
        opencode = OpenCodeTarget(
            baseURL: value("OPENWORK_OPENCODE_BASE_URL"), directory: value("OPENWORK_OPENCODE_DIRECTORY"),
            username: value("OPENWORK_OPENCODE_USERNAME"), password: value("OPENWORK_OPENCODE_PASSWORD"))
        runID = value("OPENWORK_RUN_ID")
        logFormat = value("OPENWORK_LOG_FORMAT").flatMap(LogFormat.init(rawValue:)) ?? .pretty
        resourceAttributes = value("OTEL_RESOURCE_ATTRIBUTES")
        controlBaseURL = value("OPENWORK_CONTROL_BASE_URL")
        controlToken = value("OPENWORK_CONTROL_TOKEN")
    }

    private mutating func applyFlags(_ arguments: [String]) throws(Problem) {
        var index = 0
        func value(_ name: String) throws(Problem) -> String {
            index += 1
            guard index < arguments.count else { throw Problem(description: "\(name) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--host", "--hostname": hostname = try value(argument)
            case "--port":
                guard let port = Int(try value(argument)), (0...65_535).contains(port) else {
                    throw Problem(description: "--port must be between 0 and 65535")
                }
                self.port = port
            case "--workspace": workspace = try value(argument)
            case "--approval":
                guard let mode = Mode(rawValue: try value(argument)) else {
                    throw Problem(description: "--approval must be manual or auto")
                }
                self.mode = mode
            case "--approval-timeout", "--approval-timeout-ms":
                guard let timeout = Int(try value(argument)), timeout > 0 else {
                    throw Problem(description: "\(argument) must be a positive integer")
                }
                approvalTimeoutMs = timeout
            case "--read-only": readOnly = true
            case "--cors":
                corsOrigins = try value(argument).split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            case "--opencode-base-url": opencode.baseURL = try value(argument)
            case "--opencode-directory": opencode.directory = try value(argument)
            case "--log-format":
                guard let format = LogFormat(rawValue: try value(argument)) else {
                    throw Problem(description: "--log-format must be pretty or json")
                }
                logFormat = format
            default:
                throw Problem(description: "unknown argument: \(argument)")
            }
            index += 1
        }
    }
}
