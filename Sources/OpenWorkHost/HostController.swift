public import OpenWorkCore
public import OpenWorkJSON
public import OpenWorkSystem

/// Host mode inside a serving engine (the daemon, `openwork rpc`): what `host.start`, `host.status` and
/// `host.stop` act on. One host per engine, so one per data directory.
///
/// A start resolves the binaries first (a missing openwork-server changes nothing), then runs the engine's
/// opencode as host mode configures it (``Engine/reconfigureOpenCode(_:readyDeadline:)``: a running opencode is
/// replaced), then ``HostMode`` starts the services, then `check` runs the anchor's checks. The services' output
/// goes to `<data-dir>/logs/<service>.log` (``ServiceLogs``). A failure at any step stops what was started and
/// gives opencode its own configuration back, as ``stop()`` does. A run that ends on its own (the rule of
/// ``HostMode/end(service:what:event:settings:)``) is stopped the same way, with a `host.stopped` event saying why.
public actor HostController {
    enum Phase {
        case idle
        case starting(HostMode, runID: String, Task<Outcome, Never>)
        case running(Run)
        case stopping
    }

    /// How a start's work ended, and whether it got as far as touching opencode (else there is nothing to undo).
    struct Outcome {
        var result: Result<HostConnection, OpenWorkError>
        var touched: Bool
    }

    struct Run {
        let host: HostMode
        let settings: HostSettings
        let connection: HostConnection
        let logs: ServiceLogs
        let startedAt: Int64
        let started: ContinuousClock.Instant
        let watcher: Task<Void, Never>
    }

    let engine: Engine
    let dataDirectory: DataDirectory
    let environment: [String: String]
    var phase = Phase.idle
    var stopRequested = false
    /// What ended the run that is starting, seen before it was ready.
    var endWhileStarting: HostMode.End?
    var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// How the last run ended on its own, for ``status(includeSecrets:)``.
    var lastEnd: JSONValue?

    /// - Parameter environment: the services start from it (the serving process's own).
    public init(engine: Engine, dataDirectory: DataDirectory, environment: [String: String]) {
        self.engine = engine
        self.dataDirectory = dataDirectory
        self.environment = environment
    }

    /// Starts host mode and returns how to reach it once every required service is ready (and the checks, when
    /// asked for, passed). Throws `host_already_running` while another run exists, `host_stopped` when
    /// ``stop()`` ended this one before it was ready, or the failure that stopped it.
    public func start(_ settings: HostSettings, check: Bool = false, checkEvents: Bool = false)
        async throws(OpenWorkError) -> HostConnection
    {
        try refuseUnlessIdle()
        var services = ["opencode", "openwork-server"]
        if settings.router != .off { services.append("opencode-router") }
        let logs = try ServiceLogs(
            dataDirectory: dataDirectory, services: services, redactor: Redactor(secrets: settings.secrets.all))
        let host = HostMode(
            settings: settings, engine: engine, environment: environment, dataDirectory: dataDirectory.path,
            onOutput: { service, line in logs.write(service, line) })
        let watcher = Task { [events = engine.events.subscribe()] in
            await self.watch(events, runID: settings.runID, settings: settings)
        }
        let (engine, directory, dataDirectory, environment) = (engine, dataDirectory.path, dataDirectory, environment)
        let task = Task { () async -> Outcome in
            let binaries: HostMode.Binaries
            do throws(OpenWorkError) {
                binaries = try await HostMode.Binaries.resolve(engine.sidecars, settings: settings)
            } catch {
                return Outcome(result: .failure(error), touched: false)
            }
            if Task.isCancelled {  // stopped while the binaries were resolved: opencode was not touched yet
                return Outcome(result: .failure(HostController.stoppedWhileStarting), touched: false)
            }
            do throws(OpenWorkError) {
                let sandbox = try await HostSandbox.prepare(
                    settings, dataDirectory: dataDirectory, environment: environment)
                await engine.reconfigureOpenCode(
                    { opencode in
                        settings.configureOpenCode(&opencode, dataDirectory: directory, sandbox: sandbox)
                        opencode.onOutputLine = { line in logs.write("opencode", line) }
                    }, readyDeadline: settings.startupTimeout + .seconds(5))
                let connection = try await host.start(binaries: binaries, sandbox: sandbox)
                if check || checkEvents { try await HostChecks(connection: connection).run(events: checkEvents) }
                return Outcome(result: .success(connection), touched: true)
            } catch {
                return Outcome(result: .failure(error), touched: true)
            }
        }
        phase = .starting(host, runID: settings.runID, task)
        let outcome = await task.value
        let result = outcome.result
        let (stopped, end) = (stopRequested, endWhileStarting)
        (stopRequested, endWhileStarting) = (false, nil)
        if case .success(let connection) = result, !stopped, end == nil {
            phase = .running(
                Run(
                    host: host, settings: settings, connection: connection, logs: logs,
                    startedAt: Registry.Clock.unixMilliseconds(), started: .now, watcher: watcher))
            lastEnd = nil
            engine.events.publish(
                "host.started", ["runId": .string(settings.runID), "workspace": .string(settings.workspace)])
            return connection
        }
        watcher.cancel()
        if outcome.touched {
            await tearDown(host, logs: logs)
        } else {
            logs.close()
        }
        becomeIdle()
        if stopped { throw Self.stoppedWhileStarting }
        if case .failure(let error) = result { throw error }
        throw OpenWorkError(.serviceStartFailed, "host mode ended while it started: \(end?.reason ?? "?")")
    }

    static let stoppedWhileStarting = OpenWorkError(
        .hostStopped, "host mode was stopped (host.stop) before it was ready")

    /// Stops every service of the run (router, openwork-server, then opencode) and gives opencode its own
    /// configuration back; waits until they are gone. A run still starting is cut short. Returns the services
    /// that were running (`service`, `pid`), or `nil` when no run existed.
    @discardableResult
    public func stop() async -> [JSONValue]? {
        switch phase {
        case .idle:
            return nil
        case .stopping:
            await untilIdle()
            return []
        case .starting(let host, _, let task):
            stopRequested = true
            task.cancel()
            await host.stop()
            await untilIdle()
            return []
        case .running(let run):
            phase = .stopping
            let services = await Self.services(of: run.host)
            run.watcher.cancel()
            await tearDown(run.host, logs: run.logs)
            engine.events.publish("host.stopped", ["runId": .string(run.settings.runID), "requested": true])
            becomeIdle()
            return services
        }
    }

    // MARK: Phases

    func refuseUnlessIdle() throws(OpenWorkError) {
        switch phase {
        case .idle:
            return
        case .running(let run):
            throw OpenWorkError(
                .hostAlreadyRunning,
                "host mode already runs for \(run.settings.workspace) (run \(run.settings.runID)); stop it first "
                    + "(openwork stop, host.stop)",
                details: ["runId": .string(run.settings.runID), "workspace": .string(run.settings.workspace)])
        case .starting, .stopping:
            throw OpenWorkError(
                .hostAlreadyRunning, "host mode is starting or stopping; wait for it, or stop it (openwork stop)")
        }
    }

    private func tearDown(_ host: HostMode, logs: ServiceLogs) async {
        await host.stop()
        await engine.reconfigureOpenCode(nil)
        logs.close()
    }

    private func becomeIdle() {
        phase = .idle
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    private func untilIdle() async {
        if case .idle = phase { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    // MARK: A run that ends on its own

    /// Follows the services' events until one ends the run, then stops it. Cancelled by ``stop()``.
    private func watch(_ events: AsyncStream<JSONValue>, runID: String, settings: HostSettings) async {
        for await event in events {
            guard let type = event["type"]?.stringValue, type.hasPrefix("service."),
                let service = event["service"]?.stringValue
            else { continue }
            let what = String(type.dropFirst("service.".count))
            if let end = HostMode.end(service: service, what: what, event: event, settings: settings) {
                await ended(end, runID: runID)
                return
            }
        }
    }

    private func ended(_ end: HostMode.End, runID: String) async {
        if case .starting(_, let starting, _) = phase, starting == runID {
            endWhileStarting = end
            return
        }
        guard case .running(let run) = phase, run.settings.runID == runID else { return }
        phase = .stopping
        await tearDown(run.host, logs: run.logs)
        let fields: [String: JSONValue] = [
            "runId": .string(runID), "service": .string(end.service), "reason": .string(end.reason),
            "exitCode": .integer(Int64(end.exitCode)),
        ]
        var last = fields
        last["at"] = .integer(Registry.Clock.unixMilliseconds())
        lastEnd = .object(last)
        engine.events.publish("host.stopped", fields)
        becomeIdle()
    }
}
