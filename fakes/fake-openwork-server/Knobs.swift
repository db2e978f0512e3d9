import FakeSupport

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

    typealias Invalid = KnobReader.Invalid

    /// The names this version understands, without the prefix, with what each one takes.
    static let names: [String: String] = [
        "START_DELAY_MS": "milliseconds",
        "CRASH_AFTER_MS": "milliseconds",
        "VERSION": "a version string",
        "WRONG_CREDENTIALS": "a boolean",
        "INTROSPECTION": "a boolean",
    ]

    init() {}

    static let reader = KnobReader(prefix: prefix, names: names)

    init(environment: [String: String]) throws(Invalid) {
        let reader = Self.reader
        for (name, value) in reader.knobs(in: environment) {
            switch name {
            case "START_DELAY_MS": startDelay = try reader.milliseconds(name, value)
            case "CRASH_AFTER_MS": crashAfter = try reader.milliseconds(name, value)
            case "VERSION":
                guard !value.isEmpty else { throw reader.invalid(name, value) }
                version = value
            case "WRONG_CREDENTIALS": wrongCredentials = try reader.boolean(name, value)
            case "INTROSPECTION": introspection = try reader.boolean(name, value)
            default:
                throw reader.unknown(name)
            }
        }
    }
}
