import ArgumentParser
import Foundation
import OpenWorkJSON
import OpenWorkLogging

/// How a usage error (missing argument, unknown flag or command, bad value, bad `OPENWORK_*` value) is reported:
/// with `--json`, `{"ok":false,"error":…,"kind":"usage"}` on stdout; otherwise the parser's text on stderr. Both
/// exit 64. An unknown command close to a real one gets a suggestion.
///
/// Pure decisions (``jsonRequested(in:)``, ``suggestion(for:in:)``) are separate from the printing.
enum UsageError {
    static let kind = "usage"

    /// Whether the arguments ask for JSON output: the last of `--json`, `--json=VALUE`, `--no-json` before `--`.
    static func jsonRequested(in arguments: [String]) -> Bool {
        var requested = false
        for argument in arguments {
            if argument == "--" { break }
            if argument == "--json" { requested = true }
            if argument == "--no-json" { requested = false }
            if argument.hasPrefix("--json=") {
                requested = Setting.boolean(String(argument.dropFirst("--json=".count))) ?? false
            }
        }
        return requested
    }

    /// An unknown command word and what it was probably meant to be.
    struct Suggestion: Equatable {
        /// `openwork workspace`: the command whose subcommand was misspelt.
        var command: String
        var word: String
        var candidate: String?

        var message: String {
            "unknown command '\(word)' for '\(command)'" + (candidate.map { "; did you mean '\($0)'?" } ?? "")
        }
    }

    /// The first word of `arguments` that should name a subcommand and names none, with the closest name.
    static func suggestion(for arguments: [String], in root: any ParsableCommand.Type) -> Suggestion? {
        var command = root
        var path = [name(of: root)]
        for argument in arguments {
            if argument == "--" { return nil }
            if argument.hasPrefix("-") { continue }
            let subcommands = command.configuration.subcommands
            if subcommands.isEmpty { return nil }
            if let next = subcommands.first(where: { names(of: $0).contains(argument) }) {
                command = next
                path.append(name(of: next))
                continue
            }
            let known = subcommands.flatMap { names(of: $0) }
            let closest = known.map { ($0, distance($0, argument)) }.min { $0.1 < $1.1 }
            let candidate = closest.flatMap { $0.1 <= max(1, min(2, argument.count / 2)) ? $0.0 : nil }
            return Suggestion(command: path.joined(separator: " "), word: argument, candidate: candidate)
        }
        return nil
    }

    /// Reports a failed parse or a usage error thrown while running, and exits; other errors go to the parser's
    /// own reporting (help, version, `ExitCode`).
    static func exit(_ error: any Error, arguments: [String]) -> Never {
        guard OpenWorkCommand.exitCode(for: error) == .validationFailure, !(error is ExitCode) else {
            OpenWorkCommand.exit(withError: error)
        }
        let suggestion = suggestion(for: arguments, in: OpenWorkCommand.self)
        let message = suggestion?.message ?? OpenWorkCommand.message(for: error)
        if jsonRequested(in: arguments) {
            let object: JSONValue = ["ok": false, "error": .string(message), "kind": .string(kind)]
            print((try? object.serialized(.compact)) ?? #"{"ok":false,"kind":"usage"}"#)
        } else if let suggestion {
            let help = "See '\(suggestion.command) --help'."
            FileHandle.standardError.write(Data("Error: \(suggestion.message)\n\(help)\n".utf8))
        } else {
            OpenWorkCommand.exit(withError: error)
        }
        Foundation.exit(ExitCode.validationFailure.rawValue)
    }

    private static func name(of command: any ParsableCommand.Type) -> String {
        command.configuration.commandName ?? command._commandName
    }

    private static func names(of command: any ParsableCommand.Type) -> [String] {
        [name(of: command)] + command.configuration.aliases
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
