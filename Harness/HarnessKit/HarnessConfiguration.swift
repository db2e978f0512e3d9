public import Foundation
import OpenWorkTesting

/// What a scenario run needs from the world: executables, deadline scaling, what to keep.
public struct HarnessConfiguration: Sendable {
    /// The `openwork` executable driven as `openwork rpc`.
    public var openworkExecutable: String
    /// The opencode under test: the bundled fake by default.
    public var opencodeExecutable: String
    /// The bundled fake, to tell whether ``opencodeExecutable`` is it.
    public var fakeExecutable: String
    /// Every deadline is multiplied by this (`HARNESS_TIMEOUT_SCALE`); slow machines raise it.
    public var timeoutScale: Double
    /// Keep each scenario's work and data directories (and print where they are).
    public var keepWork: Bool
    /// The environment every scenario starts from.
    public var environment: [String: String]
    /// How long stopped processes get between SIGTERM and SIGKILL.
    public var stopGrace: Duration
    /// Where each run's artifacts are written (`--artifacts`), and for which runs; `nil` keeps none.
    public var artifacts: ArtifactPolicy?
    /// `HARNESS_TIMEOUT_SCALE` when it is not a positive number: a usage error (see ``usageProblems()``).
    public private(set) var invalidTimeoutScale: String?

    /// Whether scenarios that need fault knobs or introspection can run.
    public var opencodeIsFake: Bool {
        URL(fileURLWithPath: opencodeExecutable).resolvingSymlinksInPath().path
            == URL(fileURLWithPath: fakeExecutable).resolvingSymlinksInPath().path
    }

    public init(
        openworkExecutable: String? = nil,
        opencodeExecutable: String? = nil,
        fakeExecutable: String? = nil,
        timeoutScale: Double? = nil,
        keepWork: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        let fakeExecutable = fakeExecutable ?? BuiltProducts.path(of: "fake-opencode")
        self.openworkExecutable = openworkExecutable ?? BuiltProducts.path(of: "openwork")
        self.fakeExecutable = fakeExecutable
        let fromEnvironment = environment["OPENCODE_BIN"].flatMap { $0.isEmpty ? nil : $0 }
        self.opencodeExecutable = opencodeExecutable ?? fromEnvironment ?? fakeExecutable
        self.timeoutScale = timeoutScale ?? 1
        if timeoutScale == nil, let text = environment["HARNESS_TIMEOUT_SCALE"], !text.isEmpty {
            if let scale = Self.timeoutScale(text) { self.timeoutScale = scale } else { invalidTimeoutScale = text }
        }
        self.keepWork = keepWork
        self.environment = Self.scrubbed(environment)
        self.stopGrace = .seconds(3)
    }

    /// A timeout scale as written on the command line or in `HARNESS_TIMEOUT_SCALE`: a finite number above 0
    /// (`2`, `0.5`), else `nil`.
    public static func timeoutScale(_ text: String) -> Double? {
        guard let scale = Double(text), scale.isFinite, scale > 0 else { return nil }
        return scale
    }

    /// Every reason this configuration cannot run, one line each: a bad `HARNESS_TIMEOUT_SCALE`, then the
    /// executables' problems (``executableProblems()``). Each is a usage error.
    public func usageProblems() -> [String] {
        let scale = invalidTimeoutScale.map {
            "HARNESS_TIMEOUT_SCALE=\($0) is not a positive number (the factor every deadline is multiplied by)"
        }
        return (scale.map { [$0] } ?? []) + executableProblems()
    }

    /// What is wrong with the executables, one line each (empty when both can run). A built product that is
    /// missing says to build; a path the user gave (`--openwork-bin`, `--opencode-bin`, `OPENCODE_BIN`) is named
    /// as theirs: building would not fix it.
    public func executableProblems() -> [String] {
        let checks = [
            (openworkExecutable, BuiltProducts.path(of: "openwork"), "--openwork-bin"),
            (opencodeExecutable, fakeExecutable, "--opencode-bin or OPENCODE_BIN"),
        ]
        return checks.compactMap { path, built, flag in
            guard !FileManager.default.isExecutableFile(atPath: path) else { return nil }
            if path == built { return "not built yet: \(path) (build first: swift build)" }
            let why = FileManager.default.fileExists(atPath: path) ? "is not executable" : "does not exist"
            return "\(path) (given with \(flag)) \(why)"
        }
    }

    /// The caller's environment without anything that would steer the engine or the fake from outside the
    /// scenario: scenarios say what they need with `env`.
    static func scrubbed(_ environment: [String: String]) -> [String: String] {
        environment.filter { key, _ in
            !key.hasPrefix("OPENWORK_") && !key.hasPrefix("FAKE_OPENCODE_") && !key.hasPrefix("OPENCODE_SERVER_")
                && key != "OPENCODE_BIN" && key != "HARNESS_TIMEOUT_SCALE"
        }
    }

    func scaled(_ duration: Duration) -> Duration { duration * timeoutScale }
}

/// Which scenario runs leave artifacts, and where (`--artifacts DIR`, `--artifacts-all`).
public struct ArtifactPolicy: Sendable {
    public var directory: String
    /// Every run, not only the failed ones.
    public var includePassed: Bool

    public init(directory: String, includePassed: Bool = false) {
        self.directory = directory
        self.includePassed = includePassed
    }

    /// Whether a run that ended so leaves artifacts (a skipped one never ran).
    func wants(_ status: ScenarioOutcome.Status) -> Bool {
        status == .failed || (includePassed && status == .passed)
    }
}
