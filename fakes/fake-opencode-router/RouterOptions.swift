import FakeSupport
import Foundation

/// The command line and environment of `fake-opencode-router`, parsed without side effects.
///
/// `serve <workspace> [--opencode-url U]`; environment `OPENCODE_URL` (the flag wins), `OPENCODE_DIRECTORY`
/// (default: the workspace), `OPENCODE_ROUTER_HEALTH_PORT` (required; 0 = a free port),
/// `OPENCODE_ROUTER_DATA_DIR`, `OPENCODE_SERVER_USERNAME` / `OPENCODE_SERVER_PASSWORD` (opencode's Basic
/// credentials). A secret on argv is refused (see ``SecretArguments``).
struct RouterOptions: Sendable, Equatable {
    var workspace = ""
    var opencodeURL = ""
    var directory = ""
    var healthPort = 0
    var dataDirectory: String?
    var username: String?
    var password: String?
    var arguments: [String] = []
    var knobs = Knobs()

    static let secretVariables = ["OPENCODE_SERVER_PASSWORD"]

    struct Problem: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String], environment: [String: String]) throws(Problem) -> RouterOptions {
        if let problem = SecretArguments.problem(
            in: arguments, environment: environment, secretNames: secretVariables)
        {
            throw Problem(description: problem)
        }
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var options = RouterOptions()
        options.arguments = arguments
        guard arguments.first == "serve" else {
            throw Problem(description: "usage: serve <workspace> [--opencode-url U]")
        }
        var url = value("OPENCODE_URL")
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--opencode-url" {
                index += 1
                guard index < arguments.count else { throw Problem(description: "--opencode-url needs a value") }
                url = arguments[index]
            } else if argument.hasPrefix("-") || !options.workspace.isEmpty {
                throw Problem(description: "unknown argument: \(argument)")
            } else {
                options.workspace = argument
            }
            index += 1
        }
        guard !options.workspace.isEmpty else { throw Problem(description: "serve needs a <workspace>") }
        guard let url else {
            throw Problem(description: "the opencode URL is missing (--opencode-url or OPENCODE_URL)")
        }
        options.opencodeURL = url
        options.directory = value("OPENCODE_DIRECTORY") ?? options.workspace
        guard let rawPort = value("OPENCODE_ROUTER_HEALTH_PORT") else {
            throw Problem(description: "OPENCODE_ROUTER_HEALTH_PORT must be set (0 picks a free port)")
        }
        guard let port = Int(rawPort), (0...65_535).contains(port) else {
            throw Problem(description: "OPENCODE_ROUTER_HEALTH_PORT must be between 0 and 65535")
        }
        options.healthPort = port
        options.dataDirectory = value("OPENCODE_ROUTER_DATA_DIR")
        options.username = value("OPENCODE_SERVER_USERNAME")
        options.password = value("OPENCODE_SERVER_PASSWORD")
        do {
            options.knobs = try Knobs(environment: environment)
        } catch {
            throw Problem(description: error.description)
        }
        return options
    }

    /// `Basic base64(user:password)` when a password is set (the user defaults to `opencode`).
    var authorization: String? {
        guard let password else { return nil }
        return "Basic " + Data("\(username ?? "opencode"):\(password)".utf8).base64EncodedString()
    }
}
