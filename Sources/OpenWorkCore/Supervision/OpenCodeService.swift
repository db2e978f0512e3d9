import Foundation
import OpenWorkJSON
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// opencode as a supervised service: `opencode serve --hostname 127.0.0.1 --port 0`, with a random password in
/// its environment (never on argv). Before its first start `opencode --version` must name a 1.x opencode; it is
/// ready once it printed its listening line *and* answered an authenticated `GET /global/health` with
/// `healthy: true`.
///
/// It knows opencode and runs nothing: ``Configuration/description(client:)`` hands that knowledge to a
/// ``Supervisor`` as a ``ServiceDescription``.
public enum OpenCodeService {
    /// opencode's settings, with the defaults the README documents; tests and the harness shorten them.
    public struct Configuration: Sendable {
        public var executable: String
        /// The child's environment before the credentials are added.
        public var environment: [String: String]
        public var username = "opencode"
        public var password: String = OpenCodeService.randomSecret()
        /// `--port`: 0 lets opencode choose (4096 when free, else any free port).
        public var port = 0
        /// `--hostname`: loopback, unless it runs in a container (whose published port reaches every interface).
        public var hostname = "127.0.0.1"
        /// More `serve` arguments: `--log-level L`, `--cors ORIGIN`… (never a secret).
        public var extraArguments: [String] = []
        /// Where opencode runs (host mode: the workspace); `nil`: this process's working directory.
        public var workingDirectory: String?
        public var startTimeout: Duration = .seconds(30)
        public var versionTimeout: Duration = .seconds(10)
        public var health = ServiceDescription.HealthProbe()
        public var stop = ServiceDescription.StopSequence()
        /// The engine's data directory (see ``ServiceDescription/owner``).
        public var owner: String?
        public var policy = RestartPolicy()
        /// Receives every line the child writes to stdout or stderr, as it arrives (e.g. to forward it to the log).
        public var onOutputLine: (@Sendable (String) -> Void)?
        /// See ``ServiceDescription/launch`` and ``ServiceDescription/beforeStop`` (host mode's sandbox).
        public var launch: @Sendable (LaunchCommand) -> LaunchCommand = { $0 }
        public var beforeStop: (@Sendable (Duration) async -> Void)?

        public init(executable: String, environment: [String: String]) {
            self.executable = executable
            self.environment = environment
        }

        /// With the defaults: 2 × (2 s + 2 s) + 1 s = 9 s (see ``ServiceDescription/HealthProbe/hangBudget(then:)``).
        public var hangBudget: Duration { health.hangBudget(then: stop) }

        /// opencode as a ``ServiceDescription``, talking to it through `client`.
        public func description(client: OpenCodeClient) -> ServiceDescription {
            let (username, password) = (username, password)
            let probeTimeout = health.timeout
            let versionEnvironment = environment
            let versionTimeout = versionTimeout
            var service = ServiceDescription(
                name: "opencode", executable: executable,
                arguments: ["serve", "--hostname", hostname, "--port", String(port)] + extraArguments,
                environment: environment.merging([
                    "OPENCODE_SERVER_USERNAME": username, "OPENCODE_SERVER_PASSWORD": password,
                ]) { _, new in new },
                preStart: { executable throws(OpenWorkError) in
                    try await OpenCodeService.checkVersion(
                        executable, environment: versionEnvironment, timeout: versionTimeout)
                },
                readiness: { child, deadline in
                    guard let baseURL = await OpenCodeService.listeningURL(of: child, before: deadline) else {
                        return nil
                    }
                    let endpoint = ServiceEndpoint(baseURL: baseURL, username: username, password: password)
                    return await OpenCodeService.firstHealthy(
                        endpoint, of: child, client: client, probeTimeout: probeTimeout, before: deadline)
                },
                probe: { endpoint, timeout in await OpenCodeService.isHealthy(endpoint, client, timeout) },
                startFailedCode: .opencodeStartFailed, unavailableCode: .opencodeUnavailable)
            service.health = health
            service.workingDirectory = workingDirectory
            service.startTimeout = startTimeout
            service.stop = stop
            service.owner = owner
            service.policy = policy
            service.onOutputLine = onOutputLine
            service.launch = launch
            service.beforeStop = beforeStop
            return service
        }
    }

    public static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    // MARK: Readiness and health

    static func isHealthy(_ endpoint: ServiceEndpoint, _ client: OpenCodeClient, _ timeout: Duration) async -> Bool {
        (try? await client.health(endpoint, timeout: timeout))?["healthy"] == true
    }

    /// The base URL of the first listening line on stdout (other output is tolerated), or `nil` at the deadline
    /// or when stdout ends first.
    static func listeningURL(of child: ChildProcess, before deadline: ContinuousClock.Instant) async -> String? {
        await ServiceOutput.firstURL(after: listeningMarker, in: child, before: deadline)
    }

    /// `endpoint` once it answers healthy; `nil` when the child exits or the deadline passes first. opencode
    /// prints its listening line before it serves, so the first probes can fail: they are retried briefly.
    static func firstHealthy(
        _ endpoint: ServiceEndpoint, of child: ChildProcess, client: OpenCodeClient, probeTimeout: Duration,
        before deadline: ContinuousClock.Instant
    ) async -> ServiceEndpoint? {
        while ContinuousClock.now < deadline && child.exit == nil {
            if await isHealthy(endpoint, client, min(probeTimeout, deadline - ContinuousClock.now)) { return endpoint }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    static let listeningMarker = "opencode server listening on "

    /// The base URL in `opencode server listening on http://host:port`, if the line is that line.
    public static func listeningURL(in line: String) -> String? {
        ServiceOutput.url(after: listeningMarker, in: line)
    }

    // MARK: The version check

    /// `opencode --version`, within `timeout`. Refused: a path that is no executable file (`opencode_not_found`),
    /// a binary that fails or answers something that is not a version (`opencode_start_failed`, with its exit and
    /// stderr), a 2.x (or later) major (`opencode_unsupported_version`).
    static func checkVersion(_ executable: String, environment: [String: String], timeout: Duration)
        async throws(OpenWorkError) -> String
    {
        let text: String
        switch await VersionProbe.run(executable, environment: environment, timeout: timeout) {
        case .answered(let answer):
            text = answer
        case .cannotRun(let error):
            if let number = error.errorNumber, [ENOENT, EACCES, ENOTDIR, ENOEXEC].contains(number) {
                throw OpenWorkError(
                    .opencodeNotFound,
                    "no opencode at \(executable): \(String(cString: strerror(number)))"
                        + " (set --opencode-bin or OPENWORK_OPENCODE_BIN to an opencode executable)",
                    details: ["executable": .string(executable), "errno": .integer(Int64(number))])
            }
            throw OpenWorkError(
                .opencodeStartFailed, "cannot run \(executable) --version: \(error.description)",
                details: ["executable": .string(executable)])
        case .timedOut:
            throw OpenWorkError(
                .opencodeStartFailed, "\(executable) --version did not answer within \(timeout.secondsText)",
                details: ["executable": .string(executable)])
        case .failed(let exit, let stderr):
            throw OpenWorkError(
                .opencodeStartFailed,
                "\(executable) --version failed (\(exit))\(stderr.last.map { ": \($0)" } ?? "")",
                details: [
                    "executable": .string(executable), "lastExit": exit.jsonValue,
                    "stderr": .array(stderr.map(JSONValue.string)),
                ])
        }
        guard let version = openCodeVersion(in: text) else {
            throw OpenWorkError(
                .opencodeStartFailed,
                "\(executable) is not opencode: `--version` printed \(text.isEmpty ? "nothing" : "\"\(text.prefix(80))\"")"
                    + ", not an opencode version such as 1.18.2",
                details: ["executable": .string(executable), "output": .string(String(text.prefix(200)))])
        }
        if let major = Int(version.prefix { $0.isNumber }), major >= 2 {
            throw OpenWorkError(
                .opencodeUnsupportedVersion,
                "opencode \(version) is not supported: this openwork speaks the V1 server API (1.x); 2.x needs a V2 adapter",
                details: ["version": .string(version), "executable": .string(executable)])
        }
        return version
    }

    /// The version in what `opencode --version` printed: `1.18.2`, `v1.18.2`, `opencode 1.18.2` or
    /// `1.18.2-beta.1`; `nil` when the last word is not `MAJOR.MINOR.PATCH` with an optional suffix.
    public static func openCodeVersion(in output: String) -> String? {
        guard var word = output.split(separator: " ").last.map(String.init) else { return nil }
        if word.hasPrefix("v") { word.removeFirst() }
        let core = word.prefix { $0 != "-" && $0 != "+" }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return nil }
        return word
    }
}
