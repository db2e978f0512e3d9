import Foundation
public import OpenWorkJSON
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps one `opencode serve` alive: starts it, waits until it is ready, probes its health, restarts it with
/// backoff when it dies or hangs, gives up on a crash loop, and stops it with its whole process group.
///
/// The decisions come from ``RestartPolicy``; this actor only performs them. opencode is always started as
/// `opencode serve --hostname 127.0.0.1 --port 0`, with a random password in its environment (never on
/// argv); its port is learned from its stdout and confirmed with an authenticated `GET /global/health`.
public actor Supervisor {
    public struct Configuration: Sendable {
        public var executable: String
        /// The child's environment before the credentials are added.
        public var environment: [String: String]
        public var username = "opencode"
        public var password: String = Supervisor.randomSecret()
        public var startTimeout: Duration = .seconds(30)
        public var versionTimeout: Duration = .seconds(10)
        /// Health probes of a ready child: one every `probeInterval`, each allowed `probeTimeout`; `probeMisses`
        /// failures in a row mean it hangs. See ``hangBudget``.
        public var probeInterval: Duration = .seconds(2)
        public var probeTimeout: Duration = .seconds(2)
        public var probeMisses = 2
        /// How long a child asked to stop may take after SIGTERM before SIGKILL.
        public var stopGrace: Duration = .seconds(5)
        /// The same for a child found hung: it answered nothing for `probeMisses` probes, so it gets less.
        public var hungGrace: Duration = .seconds(1)
        /// The data directory of the engine, put in the child's environment as ``OwnedProcesses/ownerVariable`` so a later
        /// engine can find (and stop) every process this one started, recorded or not.
        public var owner: String?
        public var policy = RestartPolicy()
        /// Receives every line the child writes to stdout or stderr, as it arrives (e.g. to forward it to the log).
        public var onOutputLine: (@Sendable (String) -> Void)?

        public init(executable: String, environment: [String: String]) {
            self.executable = executable
            self.environment = environment
        }

        /// The longest a hung child (one that stops answering, e.g. SIGSTOPped) stays in place: the hang can
        /// begin right after a good probe, then `probeMisses` probes of `probeInterval + probeTimeout` each fail,
        /// then the child gets `hungGrace` to exit. A replacement starts right after (no backoff for the first
        /// exit beyond the policy's floor). With the defaults: 2 × (2 s + 2 s) + 1 s = 9 s.
        public var hangBudget: Duration {
            (probeInterval + probeTimeout) * probeMisses + hungGrace
        }
    }

    public enum Phase: String, Sendable {
        case stopped, starting, ready, restarting, failed
    }

    /// The child as recorded in the state file, so a later engine can find it if this one dies.
    public struct ChildRecord: Sendable, Hashable {
        public var pid: Int32
        public var startTicks: UInt64?
        public var port: Int?
        public var baseURL: String?
        public var startedAt: Int64

        public var json: JSONValue {
            var members: [String: JSONValue] = [
                "pid": .integer(Int64(pid)), "pgid": .integer(Int64(pid)), "startedAt": .integer(startedAt),
            ]
            if let startTicks { members["startTicks"] = .integer(Int64(startTicks)) }
            if let port { members["port"] = .integer(Int64(port)) }
            if let baseURL { members["baseUrl"] = .string(baseURL) }
            return .object(members)
        }
    }

    private var configuration: Configuration
    private let client: OpenCodeClient
    private let events: EventBus
    private let record: @Sendable (ChildRecord?) async -> Void
    private var phase = Phase.stopped
    private var policyState = RestartPolicy.State()
    private var child: ChildProcess?
    private var endpoint: OpenCodeEndpoint?
    private var version: String?
    private var restarts = 0
    private var lastExit: ChildProcess.Exit?
    private var lastErrors: [String] = []
    private var failure: String?
    private var failureCode: OpenWorkError.Code?
    private var failureDetails: [String: JSONValue] = [:]
    private var startedAt: Int64?
    private var loop: Task<Void, Never>?
    private var stopping = false
    private var skipBackoff = false
    private var childReady = false
    /// Counts spawns: the child of generation `n` is the `n`th started. A restart waits for a newer one.
    private var generation = 0
    /// Set by ``restart()`` while a child runs: its exit was asked for, it is no crash.
    private var restartRequested = false
    /// Whether any child of this executable became ready; until one does, a start failure is reported to the
    /// callers waiting for it at once (a bad binary), instead of after the whole crash loop.
    private var everReady = false
    /// The latest child that exited before it was ready: its generation and the error a caller gets.
    private var startFailure: (generation: Int, error: OpenWorkError)?

    /// - Parameter record: called with the child's identity when one is spawned and with `nil` when it is gone.
    public init(
        _ configuration: Configuration,
        client: OpenCodeClient,
        events: EventBus,
        record: @escaping @Sendable (ChildRecord?) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.client = client
        self.events = events
        self.record = record
    }

    public nonisolated static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    // MARK: Status

    public var status: JSONValue {
        var members: [String: JSONValue] = [
            "state": .string(phase.rawValue), "restarts": .integer(Int64(restarts)),
            "pid": child.map { .integer(Int64($0.pid)) } ?? .null,
            "baseUrl": endpoint.map { .string($0.baseURL) } ?? .null,
            "version": version.map(JSONValue.string) ?? .null,
            "startedAt": startedAt.map(JSONValue.integer) ?? .null,
            "lastExit": lastExit.map { .object($0.json.mapValues(JSONValue.integer)) } ?? .null,
        ]
        if let failure { members["reason"] = .string(failure) }
        return .object(members)
    }

    public var currentPhase: Phase { phase }

    /// The endpoint while opencode is ready, else `nil`; unlike ``readyEndpoint(within:)`` it never starts it.
    public var endpointIfReady: OpenCodeEndpoint? { phase == .ready ? endpoint : nil }

    /// The last stderr lines of the current or last child.
    public var stderrTail: [String] { Array((child?.recentErrors() ?? lastErrors).suffix(20)) }

    // MARK: Control

    /// Starts supervising (idempotent). Does nothing in state `failed`: only ``restart()`` leaves it.
    public func start() {
        guard loop == nil, phase != .failed else { return }
        stopping = false
        loop = Task { await self.run() }
    }

    /// Forgets the failure history and starts a fresh child now (the running one, if any, is stopped first,
    /// and its exit is announced with `stopping: true`: it was asked for).
    ///
    /// - Returns: the generation the replacement will have; ``readyEndpoint(within:newerThan:)`` with it waits
    ///   for that child, never the one it replaces.
    @discardableResult
    public func restart() async -> Int {
        configuration.policy.reset(&policyState)
        failure = nil
        failureCode = nil
        startFailure = nil
        let replaced = generation
        if loop != nil {
            // Running, starting or waiting out a backoff: replace the child now.
            skipBackoff = true
            if let child {
                restartRequested = true
                await child.stop(grace: configuration.stopGrace)
            }
            return replaced
        }
        if phase == .failed { phase = .stopped }
        start()
        return replaced
    }

    /// Stops the child (TERM + CONT to its group, grace, KILL) and supervision; waits until both are gone.
    public func stop() async {
        stopping = true
        if let child { await child.stop(grace: configuration.stopGrace) }
        await loop?.value
        loop = nil
        if phase != .failed { phase = .stopped }
    }

    /// The endpoint of a ready opencode, starting it when needed and waiting while it starts or restarts.
    ///
    /// - Parameter generation: only a child newer than this one will do (after ``restart()``).
    /// - Throws: `opencode_start_failed` (exit, stderr tail) when no child of this executable was ever ready
    ///   and the start this call waits for ended before it was ready: a bad binary is reported at once.
    ///   `opencode_unavailable` (with the state, the last exit and stderr tail) when it is not ready within
    ///   `deadline` or supervision has given up.
    public func readyEndpoint(within deadline: Duration, newerThan generation: Int = 0)
        async throws(OpenWorkError) -> OpenCodeEndpoint
    {
        start()
        let end = ContinuousClock.now + deadline
        // The start this caller waits for: the one in progress, else the next one.
        let awaited = phase == .starting ? self.generation : self.generation + 1
        while true {
            if phase == .ready, self.generation > generation, let endpoint { return endpoint }
            if !everReady, let startFailure, startFailure.generation >= awaited { throw startFailure.error }
            if phase == .failed || ContinuousClock.now >= end {
                let why =
                    phase == .failed
                    ? "opencode has failed: \(failure ?? "unknown")"
                    : "opencode was not ready within \(deadline.secondsText)"
                let details: [String: JSONValue] = [
                    "state": .string(phase.rawValue), "lastExit": status["lastExit"] ?? .null,
                    "stderr": .array(stderrTail.map(JSONValue.string)),
                    "reason": failure.map(JSONValue.string) ?? .null,
                ]
                if phase == .failed, let failureCode {
                    throw OpenWorkError(
                        failureCode, failure ?? why, details: details.merging(failureDetails) { _, own in own })
                }
                throw OpenWorkError(.opencodeUnavailable, why, details: details)
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    // MARK: The loop

    private func run() async {
        if version == nil {
            do {
                version = try await checkVersion()
            } catch {
                fail(error)
                return
            }
        }
        var environment = configuration.environment.merging([
            "OPENCODE_SERVER_USERNAME": configuration.username,
            "OPENCODE_SERVER_PASSWORD": configuration.password,
        ]) { _, new in new }
        environment[OwnedProcesses.ownerVariable] = configuration.owner
        while !stopping {
            childReady = false
            phase = .starting
            events.publish("opencode.starting", ["attempt": .integer(Int64(policyState.consecutiveExits + 1))])
            let spawned: ChildProcess
            do {
                spawned = try ChildProcess(
                    executable: configuration.executable,
                    arguments: ["serve", "--hostname", "127.0.0.1", "--port", "0"],
                    environment: environment, onLine: configuration.onOutputLine)
            } catch {
                generation += 1
                lastErrors = [error.description]
                startFailure = (
                    generation,
                    OpenWorkError(
                        .opencodeStartFailed, "cannot start \(configuration.executable): \(error.description)",
                        details: ["executable": .string(configuration.executable)])
                )
                guard await decideAfterEnd(wasReady: false) else { return }
                continue
            }
            generation += 1
            child = spawned
            startedAt = Registry.Clock.unixMilliseconds()
            await record(ChildRecord(pid: spawned.pid, startTicks: spawned.startTicks, startedAt: startedAt ?? 0))
            var hung = false
            if let ready = await waitUntilReady(spawned) {
                endpoint = ready
                phase = .ready
                childReady = true
                everReady = true
                configuration.policy.ready(&policyState, at: .now)
                // Announced in the same step that makes it ready (no await between them), so no event caused
                // by a request it serves can come before it.
                events.publish(
                    "opencode.ready",
                    [
                        "pid": .integer(Int64(spawned.pid)), "baseUrl": .string(ready.baseURL),
                        "version": version.map(JSONValue.string) ?? .null,
                    ])
                await record(
                    ChildRecord(
                        pid: spawned.pid, startTicks: spawned.startTicks,
                        port: URLComponents(string: ready.baseURL)?.port,
                        baseURL: ready.baseURL, startedAt: startedAt ?? 0))
                hung = await monitor(spawned, ready) == .hung
                // Not ready any more from this instant: no caller may be handed the dying child's endpoint.
                phase = stopping ? .stopped : .restarting
                endpoint = nil
            } else if !stopping && !restartRequested {
                if spawned.exit == nil {
                    events.publish("opencode.start_timeout", ["pid": .integer(Int64(spawned.pid))])
                }
            }
            // Whether it ended on its own before anyone stopped it (for a child never ready: a start failure).
            let endedByItself = spawned.exit != nil
            let exit = await spawned.stop(grace: hung ? configuration.hungGrace : configuration.stopGrace)
            // The exit can be seen before the reader threads drained the pipes: let the last lines arrive.
            await spawned.waitForOutputEnd(timeout: .milliseconds(500))
            lastExit = exit
            lastErrors = spawned.recentErrors()
            child = nil
            endpoint = nil
            await record(nil)
            let requested = restartRequested
            restartRequested = false
            var exited: [String: JSONValue] = ["pid": .integer(Int64(spawned.pid))]
            for (key, value) in exit.json { exited[key] = .integer(value) }
            if stopping || requested { exited["stopping"] = true }
            if requested { exited["requested"] = "restart" }
            events.publish("opencode.exited", exited)
            if stopping { break }
            if requested {
                // Asked for by ``restart()``: no crash, no backoff, the history is already reset.
                skipBackoff = false
                phase = .restarting
                events.publish(
                    "opencode.restarting", ["attempt": 1, "delayMs": 0, "requested": true])
                continue
            }
            if !childReady && endedByItself {
                startFailure = (
                    generation,
                    OpenWorkError(
                        .opencodeStartFailed,
                        "opencode (\(configuration.executable)) ended (\(exit)) before it was ready"
                            + (lastErrors.last.map { ": \($0)" } ?? ""),
                        details: [
                            "executable": .string(configuration.executable), "pid": .integer(Int64(spawned.pid)),
                            "lastExit": .object(exit.json.mapValues(JSONValue.integer)),
                            "stderr": .array(lastErrors.suffix(20).map(JSONValue.string)),
                        ])
                )
            }
            guard await decideAfterEnd(wasReady: childReady) else { return }
        }
        phase = .stopped
    }

    /// Applies the policy after a child ended; returns false when supervision stops (crash loop or stop).
    private func decideAfterEnd(wasReady: Bool) async -> Bool {
        switch configuration.policy.ended(&policyState, wasReady: wasReady, at: .now) {
        case .giveUp(let reason):
            fail(reason)
            return false
        case .restart(let delay, let attempt):
            restarts += 1
            phase = .restarting
            let wait = skipBackoff ? Duration.zero : delay
            events.publish(
                "opencode.restarting", ["attempt": .integer(Int64(attempt)), "delayMs": .integer(wait.milliseconds)])
            // Sleep in slices so stop() and restart() cut the wait short; the loop task is never cancelled,
            // since a cancelled task would end every later sleep and probe at once.
            let end = ContinuousClock.now + wait
            while ContinuousClock.now < end && !stopping && !skipBackoff {
                try? await Task.sleep(for: min(.milliseconds(20), end - ContinuousClock.now))
            }
            skipBackoff = false
            return !stopping
        }
    }

    private func fail(_ error: OpenWorkError) {
        fail(error.message, code: error.code, details: error.details)
    }

    private func fail(_ reason: String, code: OpenWorkError.Code? = nil, details: [String: JSONValue] = [:]) {
        phase = .failed
        failure = reason
        failureCode = code
        failureDetails = details
        loop = nil
        events.publish("opencode.failed", ["reason": .string(reason)])
    }

    /// Waits for the listening line and then a healthy authenticated probe, within the start timeout.
    private func waitUntilReady(_ spawned: ChildProcess) async -> OpenCodeEndpoint? {
        let deadline = ContinuousClock.now + configuration.startTimeout
        let lines = spawned.outputLines
        let baseURL: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await line in lines {
                    if let url = Self.listeningURL(in: line) { return url }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let baseURL, !stopping else { return nil }
        let endpoint = OpenCodeEndpoint(
            baseURL: baseURL, username: configuration.username, password: configuration.password)
        while ContinuousClock.now < deadline && spawned.exit == nil && !stopping {
            let remaining = deadline - ContinuousClock.now
            if let health = try? await client.health(endpoint, timeout: min(configuration.probeTimeout, remaining)),
                health["healthy"] == true
            {
                return endpoint
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Why ``monitor(_:_:)`` returned.
    private enum Watch: Sendable {
        case exited, hung
    }

    /// Returns when the child exits, or after `probeMisses` failed health probes in a row (it hangs).
    private func monitor(_ spawned: ChildProcess, _ endpoint: OpenCodeEndpoint) async -> Watch {
        let client = client
        let interval = configuration.probeInterval
        let timeout = configuration.probeTimeout
        let limit = configuration.probeMisses
        let events = events
        return await withTaskGroup(of: Watch.self) { group in
            group.addTask {
                _ = await spawned.waitForExit()
                return .exited
            }
            group.addTask {
                var misses = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { return .exited }
                    if (try? await client.health(endpoint, timeout: timeout))?["healthy"] == true {
                        misses = 0
                    } else {
                        misses += 1
                        if misses >= limit {
                            events.publish(
                                "opencode.unhealthy",
                                ["pid": .integer(Int64(spawned.pid)), "misses": .integer(Int64(misses))])
                            return .hung
                        }
                    }
                }
                return .exited
            }
            let first = await group.next() ?? .exited
            group.cancelAll()
            return first
        }
    }

    /// Runs `executable` from the next start on (the engine's sidecar resolution decides which binary).
    public func use(executable: String) {
        guard executable != configuration.executable else { return }
        configuration.executable = executable
        version = nil
        everReady = false
    }

    /// `opencode --version`, within the version timeout. Refused: a path that is no executable file
    /// (`opencode_not_found`), a binary that fails or answers something that is not a version
    /// (`opencode_start_failed`, with its exit and stderr), a 2.x (or later) major (`opencode_unsupported_version`).
    private func checkVersion() async throws(OpenWorkError) -> String {
        let executable = configuration.executable
        let text: String
        switch await VersionProbe.run(
            executable, environment: configuration.environment, timeout: configuration.versionTimeout)
        {
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
                .opencodeStartFailed,
                "\(executable) --version did not answer within \(configuration.versionTimeout.secondsText)",
                details: ["executable": .string(executable)])
        case .failed(let exit, let stderr):
            throw OpenWorkError(
                .opencodeStartFailed,
                "\(executable) --version failed (\(exit))\(stderr.last.map { ": \($0)" } ?? "")",
                details: [
                    "executable": .string(executable), "lastExit": .object(exit.json.mapValues(JSONValue.integer)),
                    "stderr": .array(stderr.map(JSONValue.string)),
                ])
        }
        guard let version = Self.openCodeVersion(in: text) else {
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

    /// The base URL in `opencode server listening on http://host:port`, if the line is that line.
    public static func listeningURL(in line: String) -> String? {
        let marker = "opencode server listening on "
        guard let range = line.range(of: marker) else { return nil }
        let url = String(line[range.upperBound...]).trimmingWhitespace
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { return nil }
        return url
    }
}
