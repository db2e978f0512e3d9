import Foundation
import Logging
public import OpenWorkJSON
public import OpenWorkSystem

/// A lease on a workspace's instance, as granted: it is neither evicted nor reloaded until `expiresAt`.
public struct InstanceLease: Sendable, Hashable {
    public var leaseID: String
    public var workspaceID: String
    /// Unix milliseconds.
    public var expiresAt: Int64
    public var ttl: Duration
}

/// What `instance.reload` did.
public enum ReloadOutcome: Sendable, Hashable {
    /// The instance was disposed; the next request boots it with the current configuration.
    case reloaded
    /// The instance is busy or leased: the reload waits (`instance.reload_pending`, then `instance.reloaded`).
    case pending(busy: Bool, leased: Bool)
    /// No instance to reload: the next request boots one with the current configuration anyway.
    case cold
}

/// What the engine's lifecycle knows of a warm workspace's instance, for `workspace.list` and `info`.
public struct InstanceState: Sendable, Hashable {
    /// A session is not idle, or a permission request or question waits (opencode could not be asked: busy).
    public var busy: Bool
    /// Since the instance was last used.
    public var idle: Duration
    public var pendingReload: InstancePolicy.PendingReload?
    /// How long the pending reload has waited.
    public var pendingFor: Duration?
    /// How hot reload watches it (`nil`: it does not).
    public var watcher: String?
}

extension Engine {
    // MARK: the loop

    /// Starts the loop that carries out the policy: every ``LifecycleSettings/tick`` it reads the watcher, checks
    /// what is due and disposes what the policy decides. Ends with ``stopLifecycle()``.
    func startLifecycle() {
        guard lifecycleLoop == nil else { return }
        let tick = policy.settings.tick
        lifecycleLoop = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                guard !Task.isCancelled, let self else { return }
                await self.lifecycleTick()
            }
        }
    }

    func stopLifecycle() async {
        lifecycleLoop?.cancel()
        await lifecycleLoop?.value
        lifecycleLoop = nil
        for id in warmPaths.keys { watcher.unwatch(id) }
    }

    /// Changes hot reload while the engine runs (host mode's `--opencode-hot-reload*`): watching starts or stops
    /// for every warm workspace.
    public func setHotReload(enabled: Bool, debounce: Duration, cooldown: Duration) {
        policy.settings.hotReload = enabled
        policy.settings.debounce = debounce
        policy.settings.cooldown = cooldown
        let now = ContinuousClock.now
        for (id, path) in warmPaths {
            if enabled {
                if watcher.mode(of: id) == nil {
                    watcher.watch(id, root: path, at: now)
                    baselines[id] = ConfigFiles.contents(of: path)
                }
            } else {
                watcher.unwatch(id)
                baselines[id] = nil
            }
        }
    }

    /// The lifecycle settings in force.
    public var lifecycleSettings: LifecycleSettings { policy.settings }

    /// One pass of the loop: nothing to do (no hop anywhere) while no instance is warm and no lease is held.
    func lifecycleTick() async {
        guard !policy.warm.isEmpty || !policy.leases.isEmpty else { return }
        if !policy.warm.isEmpty {
            // Instances of an opencode that exited went with it.
            let pid = await supervisor.snapshot.pid
            for id in policy.warm.keys where pid == nil || warm[id] != pid {
                warm[id] = nil
                instanceGone(id)
            }
        }
        let now = ContinuousClock.now
        for change in watcher.drain(at: now) { policy.changed(change.id, paths: change.paths, at: now) }
        let (expired, checks) = policy.due(at: now)
        for lease in expired {
            events.publish(
                "instance.released",
                ["workspaceId": .string(lease.workspaceID), "leaseId": .string(lease.id), "expired": true])
        }
        for check in checks { checkContents(check.id, at: now) }
        await decideAndAct()
    }

    /// Compares a workspace's configuration with what its instance read: a reload is asked for only when some
    /// file's contents differ (an identical rewrite reloads nothing).
    private func checkContents(_ id: String, at now: ContinuousClock.Instant) {
        guard let path = warmPaths[id], let old = baselines[id] else { return }
        let new = ConfigFiles.contents(of: path)
        let changed = ConfigFiles.differences(old, new)
        guard !changed.isEmpty else { return }
        baselines[id] = new
        policy.reloadRequested(id, reason: .config, paths: changed, at: now)
    }

    /// Asks which candidates are busy, lets the policy decide and carries the decisions out.
    private func decideAndAct() async {
        var answers: [String: Bool] = [:]
        for id in policy.needsBusyAnswer(at: .now) { answers[id] = await isBusy(id) }
        for action in policy.decide(at: .now, answers: answers) { await perform(action) }
    }

    private func perform(_ action: InstancePolicy.Action) async {
        switch action {
        case .announcePending(let id, let pending):
            events.publish(
                "instance.reload_pending",
                [
                    "workspaceId": .string(id), "reason": .string(pending.reason.rawValue),
                    "paths": .array(pending.paths.map(JSONValue.string)),
                    "leased": .bool(policy.isLeased(id, at: .now)),
                ])
        case .reload(let id, let pending, let deferred, let forced):
            if forced {
                configuration.logger.warning(
                    "reloading a busy instance: it was still busy after \(policy.settings.reloadDeferMax.secondsText)",
                    metadata: ["workspaceId": "\(id)"])
            }
            await disposeWarm(id)
            var fields: [String: JSONValue] = [
                "workspaceId": .string(id), "reason": .string(pending.reason.rawValue),
                "paths": .array(pending.paths.map(JSONValue.string)), "deferredMs": .integer(deferred.milliseconds),
            ]
            if forced { fields["forced"] = true }
            events.publish("instance.reloaded", fields)
            if policy.pinned.contains(id) { await rewarm(id) }
        case .evict(let id, let reason, let idle):
            await disposeWarm(id)
            events.publish(
                "instance.evicted",
                ["workspaceId": .string(id), "reason": .string(reason.rawValue), "idleMs": .integer(idle.milliseconds)])
        case .overCapacity(let count, let cap):
            events.publish("instance.over_capacity", ["warm": .integer(Int64(count)), "cap": .integer(Int64(cap))])
        }
    }

    /// Disposes a warm instance the lifecycle decided to end (`instance.disposed`). A failure is logged: an
    /// instance of an opencode that is gone went with it.
    private func disposeWarm(_ id: String) async {
        guard let path = warmPaths[id] else {
            instanceGone(id)
            return
        }
        let snapshot = await supervisor.snapshot
        if let pid = warm[id], snapshot.pid == pid, let endpoint = snapshot.endpoint {
            do {
                _ = try await client.disposeInstance(
                    endpoint, directory: path, timeout: configuration.requestTimeout)
            } catch {
                configuration.logger.warning(
                    "could not dispose an instance: \(error.description)", metadata: ["workspaceId": "\(id)"])
            }
        }
        forgetInstance(id, directory: path)
    }

    /// Boots a pinned workspace's instance again after its reload, so that it stays watched.
    private func rewarm(_ id: String) async {
        do {
            _ = try await path(id, cwd: nil)
        } catch {
            configuration.logger.warning(
                "could not boot a reloaded instance again: \(error.message)", metadata: ["workspaceId": "\(id)"])
        }
    }

    /// Keeps a workspace's instance warm and watched for the engine's life (host mode's workspace, which
    /// openwork-server uses directly, unseen): booted now, never evicted, booted again after each reload. A
    /// failure is logged, not thrown: host mode runs without it (the instance is then managed once a routed call
    /// boots it).
    public func pin(_ reference: String) async {
        do {
            let workspace = try await registry.workspace(reference, cwd: nil)
            policy.pinned.insert(workspace.id)
            _ = try await path(workspace.id, cwd: nil)
        } catch {
            configuration.logger.warning(
                "could not boot the host workspace's instance: \(error.message)",
                metadata: ["workspace": "\(reference)"])
        }
    }

    /// Host mode ended in a serving engine: its workspace is no longer pinned, and hot reload is as the engine
    /// was configured again.
    public func endHostLifecycle(_ reference: String) async {
        if let workspace = try? await registry.workspace(reference, cwd: nil) { policy.pinned.remove(workspace.id) }
        let configured = configuration.lifecycle
        setHotReload(enabled: configured.hotReload, debounce: configured.debounce, cooldown: configured.cooldown)
    }

    // MARK: busy

    /// Whether the instance is doing work nothing must cut off: a session that is not idle (`GET /session/status`)
    /// or a pending permission request or question. When opencode cannot be asked, it counts as busy. A busy
    /// answer stands for ``LifecycleSettings/busyRecheck``.
    func isBusy(_ id: String) async -> Bool {
        let now = ContinuousClock.now
        if let until = busyUntil[id], until > now { return true }
        let busy = await askBusy(id)
        busyUntil[id] = busy ? now + policy.settings.busyRecheck : nil
        return busy
    }

    private func askBusy(_ id: String) async -> Bool {
        if !(await approvals.list(workspaceID: id)).isEmpty { return true }
        guard let path = warmPaths[id] else { return false }
        let snapshot = await supervisor.snapshot
        guard let endpoint = snapshot.endpoint, let pid = warm[id], snapshot.pid == pid else { return false }
        do {
            let status = try await client.sessionStatus(
                endpoint, directory: path, timeout: min(configuration.requestTimeout, .seconds(5)))
            return status.objectValue?.values.contains { $0["type"]?.stringValue != "idle" } ?? false
        } catch {
            return true
        }
    }

    // MARK: what the routing tells it

    /// A request created the workspace's instance: the policy counts it warm, hot reload watches its files.
    func instanceCreated(id: String, directory: String) {
        let now = ContinuousClock.now
        policy.warmed(id, at: now)
        warmPaths[id] = directory
        guard policy.settings.hotReload else { return }
        watcher.watch(id, root: directory, at: now)
        baselines[id] = ConfigFiles.contents(of: directory)
    }

    /// A request used the workspace's warm instance.
    func instanceUsed(_ id: String) {
        policy.used(id, at: .now)
    }

    /// The workspace's instance is gone: nothing watches or waits for it any more.
    func instanceGone(_ id: String) {
        policy.cooled(id)
        warmPaths[id] = nil
        baselines[id] = nil
        busyUntil[id] = nil
        watcher.unwatch(id)
    }

    /// What the lifecycle knows of a warm workspace (`nil` when it is cold), with a fresh busy answer.
    func instanceState(_ id: String) async -> InstanceState? {
        guard policy.warm[id] != nil else { return nil }
        let busy = await isBusy(id)
        guard let entry = policy.warm[id] else { return nil }
        let now = ContinuousClock.now
        return InstanceState(
            busy: busy, idle: now - entry.lastUsed, pendingReload: entry.pending,
            pendingFor: entry.pending.map { now - $0.since }, watcher: watcher.mode(of: id)?.rawValue)
    }

    /// The leases a workspace holds now.
    func leases(of id: String) -> [InstanceLease] {
        let now = ContinuousClock.now
        return policy.leases(of: id, at: now).map { grant($0, at: now) }
    }

    // MARK: operations

    /// Reloads a workspace's instance now (`instance.reload`): disposed at once when it is idle and not leased,
    /// else when it becomes so (busy: at most ``LifecycleSettings/reloadDeferMax`` later).
    public func reload(_ reference: String, cwd: String?) async throws(OpenWorkError) -> ReloadOutcome {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        guard policy.reloadRequested(workspace.id, reason: .manual, paths: [], at: .now) else { return .cold }
        busyUntil[workspace.id] = nil
        await decideAndAct()
        guard policy.warm[workspace.id]?.pending != nil else { return .reloaded }
        return .pending(
            busy: busyUntil[workspace.id] != nil, leased: policy.isLeased(workspace.id, at: .now))
    }

    /// Leases a workspace's instance for `ttl` (`instance.lease`): it is neither evicted nor reloaded until the
    /// lease expires or is released. A cold workspace may be leased: its next instance is covered.
    public func lease(_ reference: String, cwd: String?, ttl: Duration) async throws(OpenWorkError) -> InstanceLease {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        let now = ContinuousClock.now
        let lease = policy.lease(workspace.id, leaseID: Self.newLeaseID(), ttl: ttl, at: now)
        let granted = grant(lease, at: now)
        events.publish(
            "instance.leased",
            [
                "workspaceId": .string(workspace.id), "leaseId": .string(lease.id),
                "expiresAt": .integer(granted.expiresAt),
            ])
        return granted
    }

    /// Extends a lease to `ttl` from now (`instance.renew`); `lease_not_found` when it expired or never was.
    public func renewLease(_ leaseID: String, ttl: Duration?) throws(OpenWorkError) -> InstanceLease {
        let now = ContinuousClock.now
        guard let current = policy.leases[leaseID],
            let lease = policy.renew(leaseID, ttl: ttl ?? current.ttl, at: now)
        else {
            throw OpenWorkError(
                .leaseNotFound, "no lease \(leaseID): it expired, was released or never was",
                details: ["leaseId": .string(leaseID)])
        }
        return grant(lease, at: now)
    }

    /// Ends a lease (`instance.release`); `false` when there was none by that id (or it had expired).
    public func releaseLease(_ leaseID: String) -> Bool {
        guard let lease = policy.release(leaseID, at: .now) else { return false }
        events.publish(
            "instance.released",
            ["workspaceId": .string(lease.workspaceID), "leaseId": .string(lease.id), "expired": false])
        return true
    }

    private func grant(_ lease: InstancePolicy.Lease, at now: ContinuousClock.Instant) -> InstanceLease {
        InstanceLease(
            leaseID: lease.id, workspaceID: lease.workspaceID,
            expiresAt: Registry.Clock.unixMilliseconds() + (lease.expires - now).milliseconds, ttl: lease.ttl)
    }

    private static func newLeaseID() -> String {
        "lse_" + (0..<16).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
    }
}
