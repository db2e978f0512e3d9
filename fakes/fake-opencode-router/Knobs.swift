/// Fault knobs: environment variables named `FAKE_OPENCODE_ROUTER_*`.
///
/// Unset means a healthy router. An unknown `FAKE_OPENCODE_ROUTER_*` name or a bad value is an error (exit 2),
/// so a typo cannot turn a fault test into a happy-path test. Booleans take `1/true/yes/on` or
/// `0/false/no/off`.
struct Knobs: Equatable, Sendable {
    static let prefix = "FAKE_OPENCODE_ROUTER_"

    /// Exit 1 this long after the listening line.
    var crashAfter: Duration?
    /// `GET /health` answers 503 (`ok: false`) whatever opencode says.
    var unhealthy = false
    /// `GET /health` answers 503 from this long after the listening line on.
    var unhealthyAfter: Duration?
    /// Exit at once with this code, before binding.
    var exitCode: Int32?
    /// Serve `GET /__fake/state`.
    var introspection = false

    struct Invalid: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static let names: [String: String] = [
        "CRASH_AFTER_MS": "milliseconds",
        "UNHEALTHY": "a boolean",
        "UNHEALTHY_AFTER_MS": "milliseconds",
        "EXIT_CODE": "an exit code 0-255",
        "INTROSPECTION": "a boolean",
    ]

    init() {}

    init(environment: [String: String]) throws(Invalid) {
        for (key, value) in environment where key.hasPrefix(Self.prefix) {
            let name = String(key.dropFirst(Self.prefix.count))
            switch name {
            case "CRASH_AFTER_MS": crashAfter = .milliseconds(try Self.milliseconds(name, value))
            case "UNHEALTHY": unhealthy = try Self.boolean(name, value)
            case "UNHEALTHY_AFTER_MS": unhealthyAfter = .milliseconds(try Self.milliseconds(name, value))
            case "EXIT_CODE":
                guard let code = Int32(value), (0...255).contains(code) else { throw Self.invalid(name, value) }
                exitCode = code
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
