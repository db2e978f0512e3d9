/// When to evict a warm instance and when to reload one: pure decisions, driven by the instants passed in.
///
/// - **Idle eviction**: an instance unused for ``LifecycleSettings/idleTTL`` is evicted (`idle`); with
///   ``LifecycleSettings/maxWarm``, the least recently used ones are evicted (`capacity`) until at most that many
///   are warm. A busy instance counts as used; neither a busy nor a leased one is ever evicted, so when all are,
///   the cap is exceeded (announced once per episode).
/// - **Reload**: a change to a workspace's configuration is considered once no other change came for
///   ``LifecycleSettings/debounce`` and the last reload is ``LifecycleSettings/cooldown`` old (``due(at:)``
///   returns it as a check: the caller compares the contents and asks ``reloadRequested(_:reason:paths:at:)``
///   only when they differ). A pending reload happens when the instance is neither busy nor leased; a busy one
///   waits at most ``LifecycleSettings/reloadDeferMax``, a leased one until its lease ends.
/// - **Pinned** workspaces are never evicted, only reloaded.
/// - **Leases** keep an instance from being evicted or reloaded until they expire or are released.
///
/// It performs nothing and asks nothing: the engine says which instances are busy (``decide(at:busy:)`` after
/// ``needsBusyAnswer(at:)``), disposes what it decides and publishes the events.
public struct InstancePolicy: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// Why an instance is reloaded.
    public enum ReloadReason: String, Sendable, Hashable {
        /// Its configuration files changed (hot reload).
        case config
        /// `instance.reload`.
        case manual
    }

    public enum EvictionReason: String, Sendable, Hashable {
        case idle, capacity
    }

    /// A reload that is waiting for its instance.
    public struct PendingReload: Sendable, Hashable {
        public var reason: ReloadReason
        /// The files whose contents changed (relative to the workspace), sorted; empty for a manual reload.
        public var paths: [String]
        public var since: Instant
        /// `instance.reload_pending` was published for it.
        public var announced = false

        public init(reason: ReloadReason, paths: [String], since: Instant, announced: Bool = false) {
            self.reason = reason
            self.paths = paths
            self.since = since
            self.announced = announced
        }
    }

    /// A warm instance.
    public struct Entry: Sendable, Hashable {
        public var lastUsed: Instant
        public var pending: PendingReload?
        /// Files reported changed since the last check, and when the last report came.
        var changedPaths: Set<String> = []
        var lastChange: Instant?
    }

    public struct Lease: Sendable, Hashable {
        public var id: String
        public var workspaceID: String
        public var expires: Instant
        /// As asked (a renewal without a TTL renews for as long).
        public var ttl: Duration
    }

    public enum Action: Sendable, Hashable {
        /// The reload of a busy or leased instance waits: publish `instance.reload_pending`.
        case announcePending(workspaceID: String, PendingReload)
        /// Dispose the instance, then publish `instance.reloaded` (`forced`: it was still busy after
        /// ``LifecycleSettings/reloadDeferMax``).
        case reload(workspaceID: String, PendingReload, deferred: Duration, forced: Bool)
        /// Dispose the instance, then publish `instance.evicted`.
        case evict(workspaceID: String, reason: EvictionReason, idle: Duration)
        /// More instances are warm than the cap allows and none of the extra ones can go (busy or leased).
        case overCapacity(warm: Int, cap: Int)
    }

    public var settings: LifecycleSettings
    public private(set) var warm: [String: Entry] = [:]
    public private(set) var leases: [String: Lease] = [:]
    /// Workspaces never evicted (host mode's workspace, which openwork-server uses directly); they are reloaded.
    public var pinned: Set<String> = []
    /// When each workspace was last reloaded, for the cooldown (kept while it is cold).
    private var lastReload: [String: Instant] = [:]
    private var overCapacity = false

    public init(settings: LifecycleSettings) {
        self.settings = settings
    }

    // MARK: what happened

    /// The workspace's instance was created (or found warm) at `now`.
    public mutating func warmed(_ id: String, at now: Instant) {
        if warm[id] == nil { warm[id] = Entry(lastUsed: now) } else { warm[id]?.lastUsed = now }
    }

    /// A request used the workspace's instance at `now`.
    public mutating func used(_ id: String, at now: Instant) {
        warm[id]?.lastUsed = now
    }

    /// The workspace's instance is gone (disposed, evicted, reloaded, its opencode exited); a pending reload goes
    /// with it: the next instance reads the configuration afresh.
    public mutating func cooled(_ id: String) {
        warm[id] = nil
    }

    /// A watcher saw these files of the workspace change at `now`; the debounce starts again.
    public mutating func changed(_ id: String, paths: some Sequence<String>, at now: Instant) {
        guard warm[id] != nil else { return }
        warm[id]?.changedPaths.formUnion(paths)
        warm[id]?.lastChange = now
    }

    /// Asks for a reload of a warm instance (its contents changed, or `instance.reload`). A reload already
    /// pending keeps its start and gains the paths. `false` when the instance is cold: nothing to reload.
    @discardableResult
    public mutating func reloadRequested(_ id: String, reason: ReloadReason, paths: [String], at now: Instant) -> Bool {
        guard var entry = warm[id] else { return false }
        if var pending = entry.pending {
            pending.paths = Array(Set(pending.paths).union(paths)).sorted()
            if reason == .manual { pending.reason = .manual }
            entry.pending = pending
        } else {
            entry.pending = PendingReload(reason: reason, paths: paths.sorted(), since: now)
        }
        warm[id] = entry
        return true
    }

    // MARK: leases

    public func isLeased(_ id: String, at now: Instant) -> Bool {
        leases.values.contains { $0.workspaceID == id && $0.expires > now }
    }

    /// The leases of a workspace that have not expired, earliest expiry first.
    public func leases(of id: String, at now: Instant) -> [Lease] {
        leases.values.filter { $0.workspaceID == id && $0.expires > now }.sorted { $0.expires < $1.expires }
    }

    public mutating func lease(_ id: String, leaseID: String, ttl: Duration, at now: Instant) -> Lease {
        let lease = Lease(id: leaseID, workspaceID: id, expires: now + ttl, ttl: ttl)
        leases[leaseID] = lease
        return lease
    }

    /// Extends a lease to `now + ttl`; `nil` when it is unknown or already expired.
    public mutating func renew(_ leaseID: String, ttl: Duration, at now: Instant) -> Lease? {
        guard var lease = leases[leaseID], lease.expires > now else { return nil }
        lease.expires = now + ttl
        lease.ttl = ttl
        leases[leaseID] = lease
        return lease
    }

    /// Ends a lease; `nil` when it is unknown (or had expired).
    public mutating func release(_ leaseID: String, at now: Instant) -> Lease? {
        guard let lease = leases.removeValue(forKey: leaseID), lease.expires > now else { return nil }
        return lease
    }

    // MARK: decisions

    /// Leases that expired by `now` (forgotten), and the workspaces whose changes are due for a content check:
    /// quiet for the debounce, and past the cooldown of their last reload. Their changes are handed over.
    public mutating func due(at now: Instant) -> (expired: [Lease], checks: [(id: String, paths: [String])]) {
        let expired = leases.values.filter { $0.expires <= now }.sorted { $0.id < $1.id }
        for lease in expired { leases[lease.id] = nil }
        var checks: [(id: String, paths: [String])] = []
        for (id, entry) in warm.sorted(by: { $0.key < $1.key }) {
            guard let last = entry.lastChange, now - last >= settings.debounce else { continue }
            if let reloaded = lastReload[id], now - reloaded < settings.cooldown { continue }
            checks.append((id, entry.changedPaths.sorted()))
            warm[id]?.changedPaths = []
            warm[id]?.lastChange = nil
        }
        return (expired, checks)
    }

    /// The warm instances whose busy state ``decide(at:busy:)`` needs: those with a reload pending, those idle
    /// past the TTL, and every one when more are warm than the cap allows (leased ones never: nothing can happen
    /// to them).
    public func needsBusyAnswer(at now: Instant) -> [String] {
        let overCap = settings.maxWarm.map { warm.count > $0 } ?? false
        return warm.filter { id, entry in
            guard !isLeased(id, at: now) else { return false }
            if pinned.contains(id) { return entry.pending != nil }
            if overCap || entry.pending != nil { return true }
            guard let ttl = settings.idleTTL else { return false }
            return now - entry.lastUsed >= ttl
        }.keys.sorted()
    }

    /// What to do now, given which warm instances are busy, when every warm instance was asked (tests, and
    /// callers that know them all).
    public mutating func decide(at now: Instant, busy: Set<String>) -> [Action] {
        decide(at: now, answers: Dictionary(uniqueKeysWithValues: warm.keys.map { ($0, busy.contains($0)) }))
    }

    /// What to do now, given the busy answers (`true`: busy) of the instances ``needsBusyAnswer(at:)`` named. A
    /// busy instance counts as used now. Nothing is reloaded or evicted without an answer saying it is idle: an
    /// instance that became a candidate after the question (warmed, or past its TTL, while opencode was being
    /// asked) waits for the next round. Whatever it decides to reload or evict is cold from now on
    /// (``cooled(_:)`` is not needed for them).
    public mutating func decide(at now: Instant, answers: [String: Bool]) -> [Action] {
        var actions: [Action] = []
        func busy(_ id: String) -> Bool { answers[id] == true }
        func idle(_ id: String) -> Bool { answers[id] == false }
        for (id, isBusy) in answers where isBusy && warm[id] != nil { warm[id]?.lastUsed = now }
        for (id, entry) in warm.sorted(by: { $0.key < $1.key }) {
            guard var pending = entry.pending else { continue }
            let waited = now - pending.since
            let leased = isLeased(id, at: now)
            let forced = !leased && busy(id) && waited >= settings.reloadDeferMax
            if leased || (busy(id) && !forced) {
                if !pending.announced {
                    pending.announced = true
                    warm[id]?.pending = pending
                    actions.append(.announcePending(workspaceID: id, pending))
                }
                continue
            }
            guard idle(id) || forced else { continue }
            actions.append(.reload(workspaceID: id, pending, deferred: waited, forced: forced))
            warm[id] = nil
            lastReload[id] = now
        }
        if let ttl = settings.idleTTL {
            for (id, entry) in warm.sorted(by: { $0.key < $1.key })
            where now - entry.lastUsed >= ttl && entry.pending == nil && idle(id) && !isLeased(id, at: now)
                && !pinned.contains(id)
            {
                actions.append(.evict(workspaceID: id, reason: .idle, idle: now - entry.lastUsed))
                warm[id] = nil
            }
        }
        if let cap = settings.maxWarm, warm.count > cap {
            let movable = warm.filter { id, entry in
                entry.pending == nil && !isLeased(id, at: now) && !pinned.contains(id)
            }
            let evictable = movable.filter { idle($0.key) }
                .sorted { ($0.value.lastUsed, $0.key) < ($1.value.lastUsed, $1.key) }
            for (id, entry) in evictable.prefix(warm.count - cap) {
                actions.append(.evict(workspaceID: id, reason: .capacity, idle: now - entry.lastUsed))
                warm[id] = nil
            }
            // Said only once every instance that could go was asked: an unasked one may go next round.
            let unasked = movable.keys.contains { answers[$0] == nil && warm[$0] != nil }
            if warm.count > cap, !overCapacity, !unasked {
                actions.append(.overCapacity(warm: warm.count, cap: cap))
            }
            overCapacity = warm.count > cap && (overCapacity || !unasked)
        } else {
            overCapacity = false
        }
        return actions
    }
}
