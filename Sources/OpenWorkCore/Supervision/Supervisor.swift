import Foundation
import OpenWorkJSON
public import OpenWorkSystem

/// Keeps one service alive: checks its executable, starts it, waits until it is ready, probes its health,
/// restarts it with backoff when it dies or hangs, gives up on a crash loop, and stops it with its whole process
/// group.
///
/// What the service is comes from a ``ServiceDescription`` (opencode's: ``OpenCodeService``), the decisions from
/// its ``RestartPolicy``; this actor only performs them. Its state is one ``State`` value; a caller waiting for a
/// ready child is resumed by the transition that answers it, never by polling, and every wait has a deadline.
///
/// It does not retry requests to the child, and it does not choose the executable (the engine's sidecar
/// resolution does, see ``use(executable:)``).
public actor Supervisor {
    var service: ServiceDescription
    let events: EventBus
    var state = State.stopped
    var demand: Demand?
    var loop: Task<Void, Never>?
    var policyState = RestartPolicy.State()
    /// Children spawned so far (attempts that could not spawn count too): the `n`th is generation `n`.
    var generation = 0
    /// What the pre-start check answered; `nil` until it ran for the current executable.
    var version: String?
    var restarts = 0
    var lastExit: ChildProcess.Exit?
    /// The child whose ``ServiceDescription/beforeStop`` ran.
    var beforeStopDone: Int32?
    var lastErrors: [String] = []
    var startedAt: Int64?
    /// Whether any child of this executable became ready; until one does, a start failure is reported to the
    /// callers waiting for it at once (a bad binary), instead of after the whole crash loop.
    var everReady = false
    /// The latest child that ended before it was ready: its generation and the error a caller gets.
    var startFailure: (generation: Int, error: OpenWorkError)?
    private var waiters: [Int: Waiter] = [:]
    private var nextWaiter = 0

    /// A caller of ``readyEndpoint(within:newerThan:)`` or ``replacement(of:within:patience:)`` suspended
    /// until a transition answers it or one of its timers fires.
    private struct Waiter {
        var newerThan: Int
        let awaited: Int
        let continuation: CheckedContinuation<Result<ReadyChild, OpenWorkError>, Never>
        var timers: [Task<Void, Never>] = []
    }

    public init(_ service: ServiceDescription, events: EventBus) {
        self.service = service
        self.events = events
    }

    // MARK: Control

    /// Starts supervising (idempotent). Does nothing in state `failed`: only ``restart()`` leaves it.
    public func start() {
        guard loop == nil else { return }
        if case .failed = state { return }
        demand = nil
        loop = Task { await self.run() }
    }

    /// Forgets the failure history and starts a fresh child now: the running one, if any, is stopped first
    /// (its exit is announced with `stopping: true`: it was asked for), a backoff is cut short.
    ///
    /// - Returns: the generation the replacement will be newer than; ``readyEndpoint(within:newerThan:)`` with
    ///   it waits for that child, never the one it replaces.
    @discardableResult
    public func restart() async -> Int {
        service.policy.reset(&policyState)
        startFailure = nil
        let replaced = generation
        switch state {
        case .failed:
            transition(to: .stopped)
            start()
        case .stopped:
            start()
        case .checking:
            break  // the child it spawns next is a fresh one
        case .starting(let child), .ready(let child, _), .exiting(let child, _):
            if demand != .stop { demand = .restart }
            await stop(child.process, grace: service.stop.grace)
        case .backingOff(_, let sleep):
            sleep.cancel()
        }
        return replaced
    }

    /// Stops one child: the service's ``ServiceDescription/beforeStop`` while it lives (once per child: a stop
    /// request and the supervision loop both stop it), then its process group (TERM and CONT, `grace`, KILL).
    @discardableResult
    func stop(_ process: ChildProcess, grace: Duration) async -> ChildProcess.Exit {
        if process.exit == nil, let beforeStop = service.beforeStop, beforeStopDone != process.pid {
            beforeStopDone = process.pid
            await beforeStop(grace)
        }
        return await process.stop(grace: grace)
    }

    /// Stops the child (see ``ServiceDescription/StopSequence``) and supervision; waits until both are gone.
    /// Callers still waiting for a ready child get the unavailable error ("was stopped") instead of their deadline.
    public func stop() async {
        demand = .stop
        switch state {
        case .starting(let child), .ready(let child, _), .exiting(let child, _):
            await stop(child.process, grace: service.stop.grace)
        case .backingOff(_, let sleep):
            sleep.cancel()
        case .stopped, .checking, .failed:
            break
        }
        await loop?.value
        loop = nil
        if case .failed = state { return }
        transition(to: .stopped)
    }

    /// Runs `executable` from the next start on, checked again first (the engine's sidecar resolution decides
    /// which binary).
    public func use(executable: String) {
        guard executable != service.executable else { return }
        service.executable = executable
        version = nil
        everReady = false
    }

    /// Supervises `description` from now on, still running the executable chosen so far: the child, if any, is
    /// stopped first (as ``stop()``) and the failure history forgotten; the next demand starts a child of the new
    /// description.
    public func replace(_ description: ServiceDescription) async {
        await stop()
        let executable = service.executable
        service = description
        service.executable = executable
        service.policy.reset(&policyState)
        startFailure = nil
        if case .failed = state { transition(to: .stopped) }
    }

    // MARK: Waiting for a ready child

    /// A ready child, starting supervision when needed and waiting while it starts or restarts.
    ///
    /// - Parameter generation: only a child newer than this one will do (after ``restart()``).
    /// - Throws: the start-failed code (exit, stderr tail) when no child of this executable was ever ready and
    ///   the start this call waits for ended before it was ready: a bad binary is reported at once. The
    ///   unavailable code (with the state, the last exit and stderr tail) when none is ready within `deadline`
    ///   or supervision has given up; the pre-start check's own error when it refused the executable.
    public func readyEndpoint(within deadline: Duration, newerThan generation: Int = 0)
        async throws(OpenWorkError) -> ReadyChild
    {
        try await waitForReady(within: deadline, newerThan: generation, patience: nil)
    }

    /// For a request that `served` failed because it seems to be going away: its replacement once ready, or
    /// `served` itself when it is still the ready child after `patience` (the failure was its own, or passing).
    public func replacement(of served: ReadyChild, within deadline: Duration, patience: Duration)
        async throws(OpenWorkError) -> ReadyChild
    {
        try await waitForReady(within: deadline, newerThan: served.generation, patience: patience)
    }

    private func waitForReady(within deadline: Duration, newerThan generation: Int, patience: Duration?)
        async throws(OpenWorkError) -> ReadyChild
    {
        start()
        // The start this caller waits for: the one in progress, else the next one.
        let awaited: Int
        switch state {
        case .starting(let child), .exiting(let child, wasReady: false): awaited = child.generation
        default: awaited = self.generation + 1
        }
        if let verdict = verdict(newerThan: generation, awaited: awaited) { return try verdict.get() }
        let id = nextWaiter
        nextWaiter += 1
        let result = await withCheckedContinuation { continuation in
            var waiter = Waiter(newerThan: generation, awaited: awaited, continuation: continuation)
            // Timers, cancelled when a transition answers first.
            waiter.timers.append(
                Task {
                    guard (try? await Task.sleep(for: deadline)) != nil else { return }
                    self.expire(id, after: deadline)
                })
            if let patience {
                waiter.timers.append(
                    Task {
                        guard (try? await Task.sleep(for: patience)) != nil else { return }
                        self.relax(id)
                    })
            }
            waiters[id] = waiter
        }
        return try result.get()
    }

    /// Moves to `next` and resumes every waiter it answers. Every state change goes through here.
    func transition(to next: State) {
        state = next
        for (id, waiter) in waiters {
            if let verdict = verdict(newerThan: waiter.newerThan, awaited: waiter.awaited) { resume(id, verdict) }
        }
    }

    private func resume(_ id: Int, _ result: Result<ReadyChild, OpenWorkError>) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        for timer in waiter.timers { timer.cancel() }
        waiter.continuation.resume(returning: result)
    }

    /// The deadline of waiter `id` passed.
    private func expire(_ id: Int, after deadline: Duration) {
        guard waiters[id] != nil else { return }
        resume(id, .failure(unavailable("\(service.name) was not ready within \(deadline.secondsText)")))
    }

    /// The patience of waiter `id` ran out: the child it gave up on will do again, if it is still the ready one.
    private func relax(_ id: Int) {
        guard var waiter = waiters[id] else { return }
        waiter.newerThan -= 1
        waiters[id] = waiter
        if let verdict = verdict(newerThan: waiter.newerThan, awaited: waiter.awaited) { resume(id, verdict) }
    }
}
