import OpenWorkJSON
public import OpenWorkSystem

extension Supervisor {
    /// Where supervision is, as one value: each case carries exactly what exists in it, so a ready child
    /// without an endpoint, or a backoff with a child still running, cannot be written down.
    ///
    /// The transitions, all made by ``Supervisor/transition(to:)``, which resumes the waiters each one answers:
    /// - `stopped` → `checking` (an executable not checked yet) or `starting`, when supervision starts;
    /// - `checking` → `starting`, or `failed` when the check refuses the executable;
    /// - `starting` → `ready`, or `exiting` (it exited, timed out, or a stop or restart was asked for);
    /// - `ready` → `exiting` (it exited or hangs, or a stop or restart was asked for);
    /// - `exiting` → `backingOff`, `failed` (a crash loop), `starting` (restart asked) or `stopped` (stop asked);
    /// - `backingOff` → `starting` when the sleep ends or is cut short, `stopped` on stop;
    /// - `failed` → `stopped` by ``Supervisor/restart()``, which starts again at once.
    /// A child that cannot even be spawned leads from where the spawn was tried to `backingOff` or `failed`.
    enum State {
        /// Not supervising: never started, or ``Supervisor/stop()`` finished.
        case stopped
        /// Running the description's pre-start check (e.g. `--version`); nothing is spawned yet.
        case checking
        /// A child runs and is not ready yet.
        case starting(Child)
        /// The child is ready: the only case that hands out an endpoint.
        case ready(Child, ServiceEndpoint)
        /// The child is going away (it exited, hung, timed out or was asked to stop): it is being stopped and
        /// reaped, and its exit announced. `wasReady` tells a runtime exit from a start failure.
        case exiting(Child, wasReady: Bool)
        /// Between a child's end and the next spawn. Cancelling `sleep` (``Supervisor/stop()``,
        /// ``Supervisor/restart()``) ends the wait at once.
        case backingOff(until: ContinuousClock.Instant, sleep: Task<Void, Never>)
        /// Gave up, until ``Supervisor/restart()``.
        case failed(Failure)

        /// The child that exists in this state, if any.
        var child: Child? {
            switch self {
            case .starting(let child), .ready(let child, _), .exiting(let child, _): child
            case .stopped, .checking, .backingOff, .failed: nil
            }
        }
    }

    /// One spawned child; the `n`th spawn is generation `n`.
    struct Child {
        let process: ChildProcess
        let generation: Int
    }

    /// Why supervision gave up: a crash loop (`error` is `nil`: callers get the unavailable code), or a pre-start
    /// check that refused the executable (callers get that error, with its code and details).
    struct Failure {
        let reason: String
        let error: OpenWorkError?
    }

    /// What a caller asked the loop for and the loop has not acted on yet. `stop` outranks `restart`.
    enum Demand {
        case stop
        case restart
    }

    /// The state as callers see it (`state` in `opencode.status`).
    public enum Phase: String, Sendable {
        case stopped, starting, ready, restarting, failed
    }

    /// A ready child, as handed to a caller: where it answers, and which child it is.
    public struct ReadyChild: Sendable, Hashable {
        public var endpoint: ServiceEndpoint
        public var pid: Int32
        public var generation: Int
    }

    /// Everything a caller may want to know about the supervised service, read at one instant.
    public struct Snapshot: Sendable, Hashable {
        public var phase: Phase
        /// The current child's, while one exists (also while it starts and while it is stopped).
        public var pid: Int32?
        /// Only while ready.
        public var endpoint: ServiceEndpoint?
        /// What the pre-start check answered for the current executable.
        public var version: String?
        /// Restarts after exits (not those asked for with ``Supervisor/restart()``).
        public var restarts: Int
        public var lastExit: ChildProcess.Exit?
        /// When the latest child was spawned, in Unix milliseconds.
        public var startedAt: Int64?
        /// Why supervision gave up, in phase `failed`.
        public var reason: String?
        /// Children spawned so far: the current (or latest) child is of this generation.
        public var generation: Int
        /// The last stderr lines of the current or last child (at most 20).
        public var stderr: [String]
    }

    var phase: Phase {
        switch state {
        case .stopped: .stopped
        case .checking, .starting, .exiting(_, wasReady: false): .starting
        case .ready: .ready
        case .exiting(_, wasReady: true): demand == .stop ? .stopped : .restarting
        case .backingOff: .restarting
        case .failed: .failed
        }
    }

    /// Everything about the service, in one actor hop.
    public var snapshot: Snapshot {
        var reason: String?
        var endpoint: ServiceEndpoint?
        switch state {
        case .failed(let failure): reason = failure.reason
        case .ready(_, let ready): endpoint = ready
        default: break
        }
        let child = state.child?.process
        return Snapshot(
            phase: phase, pid: child?.pid, endpoint: endpoint, version: version, restarts: restarts,
            lastExit: lastExit, startedAt: startedAt, reason: reason, generation: generation,
            stderr: Array((child?.recentErrors() ?? lastErrors).suffix(20)))
    }

    /// What a caller waiting for a ready child gets now, or `nil` when it has to wait on.
    ///
    /// - Parameters:
    ///   - newerThan: only a child of a later generation will do.
    ///   - awaited: the generation whose start the caller waits for; its start failure is the caller's answer
    ///     while no child of this executable was ever ready (a bad binary is reported at once).
    func verdict(newerThan: Int, awaited: Int) -> Result<ReadyChild, OpenWorkError>? {
        if case .ready(let child, let endpoint) = state, child.generation > newerThan {
            return .success(ReadyChild(endpoint: endpoint, pid: child.process.pid, generation: child.generation))
        }
        if !everReady, let startFailure, startFailure.generation >= awaited { return .failure(startFailure.error) }
        if case .failed(let failure) = state {
            return .failure(unavailable("\(service.name) has failed: \(failure.reason)"))
        }
        // Stopped on request: nothing will start for the callers still waiting (a new caller starts it again).
        if case .stopped = state, demand == .stop { return .failure(unavailable("\(service.name) was stopped")) }
        return nil
    }

    /// The error of a caller who cannot be served: the state, the last exit, the reason and the stderr tail,
    /// and when a pre-start check refused the executable, that check's code and details.
    func unavailable(_ message: String) -> OpenWorkError {
        let snapshot = snapshot
        let details: [String: JSONValue] = [
            "state": .string(snapshot.phase.rawValue), "lastExit": snapshot.lastExit?.jsonValue ?? .null,
            "stderr": .array(snapshot.stderr.map(JSONValue.string)),
            "reason": snapshot.reason.map(JSONValue.string) ?? .null,
        ]
        if case .failed(let failure) = state, let error = failure.error {
            return OpenWorkError(error.code, error.message, details: details.merging(error.details) { _, own in own })
        }
        return OpenWorkError(service.unavailableCode, message, details: details)
    }
}
