import FakeSupport

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

    typealias Invalid = KnobReader.Invalid

    static let names: [String: String] = [
        "CRASH_AFTER_MS": "milliseconds",
        "UNHEALTHY": "a boolean",
        "UNHEALTHY_AFTER_MS": "milliseconds",
        "EXIT_CODE": "an exit code 0-255",
        "INTROSPECTION": "a boolean",
    ]

    init() {}

    static let reader = KnobReader(prefix: prefix, names: names)

    init(environment: [String: String]) throws(Invalid) {
        let reader = Self.reader
        for (name, value) in reader.knobs(in: environment) {
            switch name {
            case "CRASH_AFTER_MS": crashAfter = try reader.milliseconds(name, value)
            case "UNHEALTHY": unhealthy = try reader.boolean(name, value)
            case "UNHEALTHY_AFTER_MS": unhealthyAfter = try reader.milliseconds(name, value)
            case "EXIT_CODE": exitCode = try reader.exitCode(name, value)
            case "INTROSPECTION": introspection = try reader.boolean(name, value)
            default:
                throw reader.unknown(name)
            }
        }
    }
}
