/// Fault knobs: environment variables named `FAKE_OPENCODE_*` that make the fake misbehave on purpose.
///
/// Every knob is off by default, so an unconfigured fake behaves like a healthy opencode. An unknown
/// `FAKE_OPENCODE_*` name or an unparsable value is an error (the fake exits 2), so a typo in a scenario
/// cannot silently turn a fault test into a happy-path test.
struct Knobs: Equatable, Sendable {
    static let prefix = "FAKE_OPENCODE_"

    /// Printed by `--version` and `/global/health`.
    var version = "1.18.33"
    /// Waited before binding the port, so the listening line comes this much later.
    var listenDelay: Duration = .zero
    /// Never bind and never print the listening line (signals are still handled).
    var neverListen = false
    /// Exit at once with this code, after any noise lines.
    var exitCode: Int32?
    /// Exit abruptly right after the response to this many requests has been sent.
    var crashAfterRequests: Int?
    /// Exit abruptly this long after the listening line.
    var crashAfter: Duration?
    /// The exit code of a crash.
    var crashExitCode: Int32 = 1
    /// Every request after this many is accepted and never answered; event streams fall silent.
    var hangAfterRequests: Int?
    /// SIGTERM is ignored (SIGINT still shuts down).
    var ignoreSIGTERM = false
    /// Start `sleep 3600` in the fake's process group at startup; it outlives the fake unless killed.
    var spawnGrandchild = false
    /// Where to write the grandchild's pid.
    var grandchildPIDFile: String?
    /// The grandchild leaves the fake's process group (a new session, as a daemonizing tool would).
    var grandchildEscapes = false
    /// SIGKILL the fake's parent (the engine) at this point of the start: `start` (before anything else) or
    /// `listening` (right after the listening line), to test what a dying engine leaves behind.
    var killParentAt: String?
    /// Lines printed on stdout before anything else.
    var stdoutNoise: [String] = []
    /// Lines printed on stderr before anything else.
    var stderrNoise: [String] = []
    /// How long booting one instance takes.
    var bootDelay: Duration = .zero
    /// Instance boots fail (500 UnknownError) for directories matching this `*` pattern.
    var failBootPattern: String?
    /// Time between `server.heartbeat` frames on event streams.
    var heartbeatInterval: Duration = .seconds(10)
    /// Serve `GET /__fake/state` and `POST /__fake/permission`.
    var introspection = false
    /// Append one JSON line per request to this file.
    var requestLogPath: String?
    /// `POST /permission/:id/reply` is 404, as in builds that only had the legacy session route.
    var legacyPermissionsOnly = false
    /// How long a prompt (`POST /session/:id/prompt_async`) keeps its session busy.
    var promptBusyTime: Duration = .milliseconds(50)
    /// How much memory each warm instance holds (allocated and written), in MiB.
    var instanceMemoryMiB = 0

    struct Invalid: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// The names this version understands, without the prefix, with what each one takes.
    static let names: [String: String] = [
        "VERSION": "a version string",
        "LISTEN_DELAY_MS": "milliseconds",
        "NEVER_LISTEN": "a boolean",
        "EXIT_CODE": "an exit code 0-255",
        "CRASH_AFTER_REQUESTS": "a request count",
        "CRASH_AFTER_MS": "milliseconds",
        "CRASH_EXIT_CODE": "an exit code 0-255",
        "HANG_AFTER_REQUESTS": "a request count",
        "IGNORE_SIGTERM": "a boolean",
        "SPAWN_GRANDCHILD": "a boolean",
        "GRANDCHILD_PIDFILE": "a file path",
        "GRANDCHILD_ESCAPES": "a boolean",
        "KILL_PARENT": "start or listening",
        "STDOUT_NOISE": "text (one line per line)",
        "STDERR_NOISE": "text (one line per line)",
        "BOOT_DELAY_MS": "milliseconds",
        "FAIL_BOOT": "a directory pattern (* matches anything)",
        "HEARTBEAT_MS": "milliseconds (at least 1)",
        "INTROSPECTION": "a boolean",
        "LOG": "a file path",
        "LEGACY_PERMISSIONS_ONLY": "a boolean",
        "PROMPT_BUSY_MS": "milliseconds",
        "INSTANCE_MEMORY_MIB": "a whole number of MiB (at most 4096)",
    ]

    init() {}

    init(environment: [String: String]) throws(Invalid) {
        // `FAKE_OPENCODE_ROUTER_*` belongs to fake-opencode-router, which runs next to this fake in host mode.
        for (key, value) in environment where key.hasPrefix(Self.prefix) && !key.hasPrefix(Self.prefix + "ROUTER_") {
            let name = String(key.dropFirst(Self.prefix.count))
            guard Self.names[name] != nil else {
                throw Invalid(
                    description: "unknown knob \(key) (known: \(Self.names.keys.sorted().joined(separator: ", ")))")
            }
            try apply(name, value)
        }
    }

    private mutating func apply(_ name: String, _ value: String) throws(Invalid) {
        switch name {
        case "VERSION": version = value
        case "LISTEN_DELAY_MS": listenDelay = try Self.milliseconds(name, value)
        case "NEVER_LISTEN": neverListen = try Self.boolean(name, value)
        case "EXIT_CODE": exitCode = try Self.exitCode(name, value)
        case "CRASH_AFTER_REQUESTS": crashAfterRequests = try Self.count(name, value)
        case "CRASH_AFTER_MS": crashAfter = try Self.milliseconds(name, value)
        case "CRASH_EXIT_CODE": crashExitCode = try Self.exitCode(name, value)
        case "HANG_AFTER_REQUESTS": hangAfterRequests = try Self.count(name, value)
        case "IGNORE_SIGTERM": ignoreSIGTERM = try Self.boolean(name, value)
        case "SPAWN_GRANDCHILD": spawnGrandchild = try Self.boolean(name, value)
        case "GRANDCHILD_PIDFILE": grandchildPIDFile = value.isEmpty ? nil : value
        case "GRANDCHILD_ESCAPES": grandchildEscapes = try Self.boolean(name, value)
        case "KILL_PARENT":
            guard ["start", "listening"].contains(value) else { throw Self.invalid(name, value) }
            killParentAt = value
        case "STDOUT_NOISE": stdoutNoise = Self.lines(value)
        case "STDERR_NOISE": stderrNoise = Self.lines(value)
        case "BOOT_DELAY_MS": bootDelay = try Self.milliseconds(name, value)
        case "FAIL_BOOT": failBootPattern = value.isEmpty ? nil : value
        case "LEGACY_PERMISSIONS_ONLY": legacyPermissionsOnly = try Self.boolean(name, value)
        case "HEARTBEAT_MS":
            heartbeatInterval = try Self.milliseconds(name, value)
            guard heartbeatInterval > .zero else { throw Self.invalid(name, value) }
        case "INTROSPECTION": introspection = try Self.boolean(name, value)
        case "LOG": requestLogPath = value.isEmpty ? nil : value
        case "PROMPT_BUSY_MS": promptBusyTime = try Self.milliseconds(name, value)
        case "INSTANCE_MEMORY_MIB":
            instanceMemoryMiB = try Self.count(name, value)
            guard instanceMemoryMiB <= 4096 else { throw Self.invalid(name, value) }
        default: throw Invalid(description: "unknown knob \(Self.prefix)\(name)")
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

    private static func count(_ name: String, _ value: String) throws(Invalid) -> Int {
        guard let count = Int(value), count >= 0 else { throw invalid(name, value) }
        return count
    }

    private static func milliseconds(_ name: String, _ value: String) throws(Invalid) -> Duration {
        .milliseconds(try count(name, value))
    }

    private static func exitCode(_ name: String, _ value: String) throws(Invalid) -> Int32 {
        guard let code = Int32(value), (0...255).contains(code) else { throw invalid(name, value) }
        return code
    }

    private static func lines(_ value: String) -> [String] {
        value.isEmpty ? [] : value.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
