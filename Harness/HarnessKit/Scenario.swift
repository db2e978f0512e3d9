public import OpenWorkJSON

/// One parsed scenario file: its headers, its steps in order, and its fixture sections.
///
/// A scenario is data only; ``ScenarioRunner`` executes it. Parsing already resolved everything that can be
/// checked without running: verbs, JSON payloads, durations, signals and variable references.
public struct Scenario: Sendable {
    /// Where the scenario came from, as given (used in `file:line` locations).
    public var file: String
    /// `# title:`; defaults to the file name.
    public var title: String
    /// `# doc:` lines, e.g. `README.md#scenario-invalid-path`.
    public var docs: [String]
    /// `# requires:` entries; `fake` means fault knobs or `/__fake` introspection.
    public var requirements: Set<String>
    public var steps: [Step]
    /// `-- name --` sections: the text up to the next section or the end of the file.
    public var sections: [String: String]

    /// The file name without directory and extension.
    public var name: String {
        let base = file.split(separator: "/").last.map(String.init) ?? file
        return base.hasSuffix(".scenario") ? String(base.dropLast(".scenario".count)) : base
    }
}

/// A place in a scenario file.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var description: String { "\(file):\(line)" }

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
}

/// One line of a scenario that does something.
public struct Step: Sendable {
    public var location: SourceLocation
    /// The line as written, for reports.
    public var text: String
    public var action: Action
}

/// How strictly an expected JSON value is compared with an actual one.
public enum MatchMode: String, Sendable {
    /// Objects may have members the expectation does not name.
    case subset
    /// Objects must have exactly the members the expectation names.
    case exact
}

/// Text with `$NAME` references, resolved when the step runs.
public struct Template: Sendable, Hashable {
    public var text: String
}

/// Which part of an answer an `expect` step looks at.
public enum AnswerPart: String, Sendable {
    case result
    case error
    /// The whole message.
    case response
}

/// What a file check wants.
public enum FileCondition: Sendable {
    case exists
    case absent
    case matches(JSONValue, MatchMode)
    case equals(section: String)
    /// The permission bits, e.g. `0600`.
    case mode(Int)
}

/// What a `capture` step reads.
public enum CaptureSource: Sendable {
    /// The last answer (to `call`, `wait-until` or `await response`), as a whole message.
    case answer
    /// The `params` of the event the last `await event` consumed.
    case event
}

/// Which process a `kill` step signals.
public enum KillTarget: Sendable, Hashable {
    /// The opencode that `openwork rpc` supervises now (its pid is asked with `opencode.status`).
    case opencode
    /// The `openwork rpc` process itself.
    case openwork
    /// The daemon recorded in `$DATA`'s state file.
    case daemon
    /// A process started by `spawn NAME`.
    case spawned(String)
    /// The pid held by a variable.
    case variable(String)
}

/// Everything a step can do. Every wait carries its deadline (already resolved from `within` or a default).
public enum Action: Sendable {
    case env(name: String, value: Template)
    case mkdir([Template])
    case write(path: Template, section: String, mode: Int?)
    case remove(Template)
    /// Writes a sidecar manifest pinning the opencode under test (size, SHA-256, `file://` URL) for this host.
    case sidecarManifest(path: Template, version: Template)
    case start(arguments: [Template])
    case call(method: String, params: JSONValue?, within: Duration)
    case send(Template)
    case expectAnswer(AnswerPart, JSONValue, MatchMode)
    case capture(variable: String, from: CaptureSource, pointer: String)
    case awaitEvent(type: String, JSONValue, MatchMode, within: Duration)
    case refuteEvent(type: String, JSONValue, MatchMode, within: Duration)
    case awaitResponse(JSONValue, MatchMode, within: Duration)
    case refuteResponse(JSONValue, MatchMode, within: Duration)
    case waitUntil(method: String, params: JSONValue?, expected: JSONValue, mode: MatchMode, within: Duration)
    case kill(KillTarget, signal: Int32)
    case spawn(name: String, arguments: [Template], within: Duration)
    case expectFile(Template, FileCondition)
    case expectGone(variable: String, within: Duration)
    case expectAlive(variable: String)
    case closeStdin
    case expectExit(code: Int32, within: Duration)
    /// `ask-permission $NAME DIRECTORY PERMISSION [PATTERN…]`: the fake opencode asks a permission (see
    /// `PermissionStep.swift`); `$NAME` holds the request's id.
    case askPermission(variable: String, directory: Template, permission: String, patterns: [Template])
    /// Runs `openwork ARGS` to its end (`copies` at once when more than one).
    case cli(arguments: [Template], copies: Int, within: Duration)
    /// One request to the daemon of `$DATA`.
    case http(method: String, target: Template, body: JSONValue?, options: HTTPStepOptions, within: Duration)
    /// The HTTP status of the last `http` step, or the exit code of the last `cli` step.
    case expectStatus(Int)
    /// Every element of the last answer (an array: the outputs of `cli xN`) matches.
    case expectEach(JSONValue, MatchMode)
    /// No process's command line holds the daemon token or the opencode password.
    case expectArgvClean
}

/// What an `http` step sends besides its method, target and body.
public struct HTTPStepOptions: Sendable, Hashable {
    public enum Token: Sendable, Hashable {
        /// The token in `$DATA/daemon-token`.
        case daemon
        case none
        case literal(Template)
    }

    public var token = Token.daemon
    /// Replaces the `Host` header (default: the daemon's `127.0.0.1:PORT`).
    public var host: Template?
    public var origin: Template?

    public init() {}
}
