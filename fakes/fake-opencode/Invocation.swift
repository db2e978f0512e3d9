/// What a command line asks the fake to do, parsed the way opencode's yargs setup parses it.
///
/// Only `serve` is implemented; the other opencode commands (and the TUI started without a command) are
/// reported as a usage error. `-v`/`--version` and `-h`/`--help` win over everything else, as in yargs.
enum Invocation: Equatable, Sendable {
    /// `--version` / `-v`: the bare version on stdout, exit 0.
    case printVersion
    /// `--help` / `-h`: help on stdout, exit 0.
    case printHelp(HelpText.Topic)
    case serve(ServeArguments)
    /// Help on stderr followed by `message`, exit 1.
    case usageError(HelpText.Topic, message: String)

    static func parse(_ arguments: [String]) -> Invocation {
        var parser = Parser(arguments: arguments)
        return parser.run()
    }
}

private struct Parser {
    let arguments: [String]
    var index = 0
    var options = ServeArguments()
    var command: String?
    var positionals: [String] = []
    var unknown: [String] = []
    var invalid: String?
    var wantsHelp = false
    var wantsVersion = false

    init(arguments: [String]) {
        self.arguments = arguments
    }

    mutating func run() -> Invocation {
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                positionals.append(contentsOf: arguments[index...])
                break
            } else if argument.hasPrefix("--") {
                long(argument.dropFirst(2))
            } else if argument.hasPrefix("-") && argument.count > 1 {
                short(argument.dropFirst())
            } else if command == nil {
                command = argument
            } else {
                positionals.append(argument)
            }
        }
        let topic: HelpText.Topic = command == "serve" ? .serve : .root
        if wantsVersion { return .printVersion }
        if wantsHelp { return .printHelp(topic) }
        if let invalid { return .usageError(topic, message: invalid) }
        let extra = unknown + positionals
        if !extra.isEmpty {
            let noun = extra.count == 1 ? "argument" : "arguments"
            return .usageError(topic, message: "Unknown \(noun): \(extra.joined(separator: ", "))")
        }
        guard let command else {
            return .usageError(.root, message: "fake-opencode implements only the serve command")
        }
        guard command == "serve" else {
            return .usageError(.root, message: "Unknown command: \(command) (fake-opencode implements only serve)")
        }
        return .serve(options)
    }

    private mutating func short(_ flags: Substring) {
        for flag in flags {
            switch flag {
            case "h": wantsHelp = true
            case "v": wantsVersion = true
            default: unknown.append(String(flag))
            }
        }
    }

    private mutating func long(_ body: Substring) {
        let parts = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let written = String(parts[0])
        let inline = parts.count > 1 ? String(parts[1]) : nil
        var name = Self.kebab(written)
        var negated = false
        if name.hasPrefix("no-"), Self.booleans.contains(String(name.dropFirst(3))) {
            name = String(name.dropFirst(3))
            negated = true
        }
        switch name {
        case "help": wantsHelp = true
        case "version": wantsVersion = true
        case "print-logs": options.printLogs = boolean(name, inline, negated: negated)
        case "pure": options.pure = boolean(name, inline, negated: negated)
        case "mdns": options.mdns = boolean(name, inline, negated: negated)
        case "log-level":
            guard let value = value(for: name, inline) else { return }
            guard let level = ServerLog.Level(rawValue: value) else {
                let choices = ServerLog.Level.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                invalid = "Invalid values:\n  Argument: log-level, Given: \"\(value)\", Choices: \(choices)"
                return
            }
            options.logLevel = level
        case "port":
            guard let value = value(for: name, inline) else { return }
            guard let port = Int(value), (0...65_535).contains(port) else {
                invalid = "Invalid values:\n  Argument: port, Given: \"\(value)\", expected a port number 0-65535"
                return
            }
            options.port = port
        case "hostname":
            guard let value = value(for: name, inline) else { return }
            options.hostname = value
            options.hostnameGiven = true
        case "mdns-domain":
            guard let value = value(for: name, inline) else { return }
            options.mdnsDomain = value
        case "cors":
            guard let first = value(for: name, inline) else { return }
            options.cors.append(first)
            // An array option takes every following word up to the next flag.
            while inline == nil, index < arguments.count, !arguments[index].hasPrefix("-") {
                options.cors.append(arguments[index])
                index += 1
            }
        default:
            unknown.append(written)
        }
    }

    private mutating func value(for name: String, _ inline: String?) -> String? {
        if let inline { return inline }
        guard index < arguments.count, !arguments[index].hasPrefix("--") else {
            invalid = "Not enough arguments following: \(name)"
            return nil
        }
        defer { index += 1 }
        return arguments[index]
    }

    private mutating func boolean(_ name: String, _ inline: String?, negated: Bool) -> Bool {
        guard let inline else { return !negated }
        switch inline {
        case "true": return !negated
        case "false": return negated
        default:
            invalid = "Invalid values:\n  Argument: \(name), Given: \"\(inline)\", expected a boolean"
            return false
        }
    }

    private static let booleans: Set<String> = ["print-logs", "pure", "mdns"]

    /// yargs accepts camelCase spellings of kebab-case options (`--printLogs`, `--mdnsDomain`).
    private static func kebab(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "-" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
