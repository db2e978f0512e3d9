/// Fault knobs: environment variables named `FAKE_OPENWORK_*`.
///
/// Unset means a healthy server. An unknown `FAKE_OPENWORK_*` name or a bad value is an error (the fake exits
/// 2), so a typo in a test cannot silently turn a fault test into a happy-path test. Booleans take
/// `1/true/yes/on` or `0/false/no/off`.
struct Knobs: Equatable, Sendable {
    static let prefix = "FAKE_OPENWORK_"

    /// Waited before binding, so the listening line comes this much later.
    var startDelay: Duration = .zero
    /// Exit 1 this long after the listening line.
    var crashAfter: Duration?
    /// The version `GET /health` reports.
    var version = "0.11.165"
    /// `GET /workspaces` echoes a wrong opencode password.
    var wrongCredentials = false
    /// Serve the `/__fake/*` routes.
    var introspection = false

    struct Invalid: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// The names this version understands, without the prefix, with what each one takes.
    static let names: [String: String] = [
        "START_DELAY_MS": "milliseconds",
        "CRASH_AFTER_MS": "milliseconds",
        "VERSION": "a version string",
        "WRONG_CREDENTIALS": "a boolean",
        "INTROSPECTION": "a boolean",
    ]

    init() {}

    init(environment: [String: String]) throws(Invalid) {
        for (key, value) in environment where key.hasPrefix(Self.prefix) {
            let name = String(key.dropFirst(Self.prefix.count))
            switch name {
            case "START_DELAY_MS": startDelay = .milliseconds(try Self.milliseconds(name, value))
            case "CRASH_AFTER_MS": crashAfter = .milliseconds(try Self.milliseconds(name, value))
            case "VERSION":
                guard !value.isEmpty else { throw Self.invalid(name, value) }
                version = value
            case "WRONG_CREDENTIALS": wrongCredentials = try Self.boolean(name, value)
            case "INTROSPECTION": introspection = try Self.boolean(name, value)
            default:
                throw Invalid(
                    description: "unknown knob \(key) (known: \(Self.names.keys.sorted().joined(separator: ", ")))")
            }
        }
    }

    private static func invalid(_ name: String, _ value: String) -> Invalid {
        Invalid(description: "\(prefix)\(name)=\(value): expected \(names[name] ?? "another value")")
    }

    private static func boolean(_ name: String, _ value: String) throws(Invalid) -> Bool {
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "", "0", "false", "no", "off": return false
        default: throw invalid(name, value)
        }
    }

    private static func milliseconds(_ name: String, _ value: String) throws(Invalid) -> Int {
        guard let count = Int(value), count >= 0 else { throw invalid(name, value) }
        return count
    }
}
