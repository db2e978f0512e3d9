import OpenWorkCore
import OpenWorkSystem
import Testing

/// The eviction and reload decisions, driven by a manual clock: instants are `t0 + offset`, nothing sleeps.
@Suite struct InstancePolicyTests {
    let t0 = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { t0 + .milliseconds(milliseconds) }

    func policy(
        ttl: Duration? = nil, cap: Int? = nil, debounce: Duration = .milliseconds(700),
        cooldown: Duration = .milliseconds(1_500), deferMax: Duration = .seconds(600)
    ) -> InstancePolicy {
        var settings = LifecycleSettings()
        settings.idleTTL = ttl
        settings.maxWarm = cap
        settings.debounce = debounce
        settings.cooldown = cooldown
        settings.reloadDeferMax = deferMax
        return InstancePolicy(settings: settings)
    }

    @Test func idleTTLEvictsOnlyOnceTheTTLHasPassedSinceTheLastUse() {
        var policy = policy(ttl: .seconds(10))
        policy.warmed("a", at: at(0))
        policy.used("a", at: at(4_000))
        #expect(policy.needsBusyAnswer(at: at(13_999)) == [])
        #expect(policy.decide(at: at(13_999), busy: []) == [])
        #expect(policy.needsBusyAnswer(at: at(14_000)) == ["a"])
        #expect(
            policy.decide(at: at(14_000), busy: [])
                == [.evict(workspaceID: "a", reason: .idle, idle: .seconds(10))])
        #expect(policy.warm.isEmpty)
        #expect(policy.decide(at: at(30_000), busy: []) == [])
    }

    @Test func noTTLNeverEvictsForIdleness() {
        var policy = policy(ttl: nil)
        policy.warmed("a", at: at(0))
        #expect(policy.needsBusyAnswer(at: at(86_400_000)) == [])
        #expect(policy.decide(at: at(86_400_000), busy: []) == [])
    }

    @Test func aBusyInstanceIsNotEvictedAndCountsAsUsed() {
        var policy = policy(ttl: .seconds(10))
        policy.warmed("a", at: at(0))
        #expect(policy.decide(at: at(10_000), busy: ["a"]) == [])
        // Busy at 10 s is a use: idle again only from then.
        #expect(policy.decide(at: at(19_999), busy: []) == [])
        #expect(
            policy.decide(at: at(20_000), busy: []) == [.evict(workspaceID: "a", reason: .idle, idle: .seconds(10))])
    }

    @Test func capacityEvictsTheLeastRecentlyUsedIdleOnes() {
        var policy = policy(cap: 2)
        policy.warmed("a", at: at(0))
        policy.warmed("b", at: at(1_000))
        policy.warmed("c", at: at(2_000))
        policy.used("a", at: at(3_000))
        #expect(policy.needsBusyAnswer(at: at(3_000)) == ["a", "b", "c"])
        #expect(
            policy.decide(at: at(3_000), busy: [])
                == [.evict(workspaceID: "b", reason: .capacity, idle: .seconds(2))])
        #expect(Set(policy.warm.keys) == ["a", "c"])
        #expect(policy.needsBusyAnswer(at: at(3_000)) == [])
    }

    @Test func capacitySkipsBusyAndLeasedOnesAndSaysOnceWhenItCannotBeKept() {
        var policy = policy(cap: 1)
        policy.warmed("a", at: at(0))
        policy.warmed("b", at: at(1_000))
        policy.warmed("c", at: at(2_000))
        _ = policy.lease("b", leaseID: "l1", ttl: .seconds(60), at: at(2_000))
        // a is the LRU but busy; b is leased: c goes, and two stay over a cap of one.
        #expect(policy.needsBusyAnswer(at: at(2_500)) == ["a", "c"])
        #expect(
            policy.decide(at: at(2_500), busy: ["a"])
                == [
                    .evict(workspaceID: "c", reason: .capacity, idle: .milliseconds(500)),
                    .overCapacity(warm: 2, cap: 1),
                ])
        // Still over: not announced again.
        #expect(policy.decide(at: at(3_000), busy: ["a"]) == [])
        // a is idle now: it goes, and the cap holds again.
        #expect(
            policy.decide(at: at(4_000), busy: [])
                == [.evict(workspaceID: "a", reason: .capacity, idle: .seconds(1))])
        #expect(Set(policy.warm.keys) == ["b"])
    }

    @Test func aLeaseBlocksEvictionUntilItExpiresOrIsReleased() {
        var policy = policy(ttl: .seconds(1))
        policy.warmed("a", at: at(0))
        let lease = policy.lease("a", leaseID: "l1", ttl: .seconds(5), at: at(0))
        #expect(lease.expires == at(5_000))
        #expect(policy.isLeased("a", at: at(4_999)))
        #expect(policy.needsBusyAnswer(at: at(2_000)) == [])
        #expect(policy.decide(at: at(2_000), busy: []) == [])
        #expect(policy.renew("l1", ttl: .seconds(5), at: at(4_000))?.expires == at(9_000))
        #expect(policy.due(at: at(8_999)).expired.isEmpty)
        #expect(policy.decide(at: at(8_999), busy: []) == [])
        let due = policy.due(at: at(9_000))
        #expect(due.expired.map(\.id) == ["l1"])
        #expect(policy.renew("l1", ttl: .seconds(5), at: at(9_000)) == nil)
        #expect(
            policy.decide(at: at(9_000), busy: []) == [.evict(workspaceID: "a", reason: .idle, idle: .seconds(9))])
    }

    @Test func releaseEndsALeaseAndUnknownLeasesAreNil() {
        var policy = policy(ttl: .seconds(1))
        policy.warmed("a", at: at(0))
        _ = policy.lease("a", leaseID: "l1", ttl: .seconds(60), at: at(0))
        #expect(policy.release("nope", at: at(10)) == nil)
        #expect(policy.release("l1", at: at(10))?.workspaceID == "a")
        #expect(policy.release("l1", at: at(10)) == nil)
        #expect(
            policy.decide(at: at(2_000), busy: []) == [.evict(workspaceID: "a", reason: .idle, idle: .seconds(2))])
    }

    @Test func changesAreCheckedOnlyAfterTheDebounceSinceTheLastOne() {
        var policy = policy()
        policy.warmed("a", at: at(0))
        policy.changed("a", paths: ["opencode.json"], at: at(100))
        policy.changed("a", paths: ["AGENTS.md"], at: at(600))
        #expect(policy.due(at: at(1_299)).checks.isEmpty)
        let due = policy.due(at: at(1_300)).checks
        #expect(due.map(\.id) == ["a"])
        #expect(due.first?.paths == ["AGENTS.md", "opencode.json"])
        // Handed over once.
        #expect(policy.due(at: at(5_000)).checks.isEmpty)
    }

    @Test func changesToAColdWorkspaceAreIgnored() {
        var policy = policy()
        policy.changed("a", paths: ["opencode.json"], at: at(0))
        #expect(policy.due(at: at(10_000)).checks.isEmpty)
        let requested = policy.reloadRequested("a", reason: .manual, paths: [], at: at(0))
        #expect(!requested)
    }

    @Test func anIdleUnleasedInstanceIsReloadedAtOnce() {
        var policy = policy()
        policy.warmed("a", at: at(0))
        let requested = policy.reloadRequested("a", reason: .config, paths: ["opencode.json"], at: at(1_000))
        #expect(requested)
        #expect(policy.needsBusyAnswer(at: at(1_000)) == ["a"])
        let pending = InstancePolicy.PendingReload(reason: .config, paths: ["opencode.json"], since: at(1_000))
        #expect(
            policy.decide(at: at(1_000), busy: [])
                == [.reload(workspaceID: "a", pending, deferred: .zero, forced: false)])
        #expect(policy.warm.isEmpty)
    }

    @Test func theCooldownHoldsChecksAfterAReload() {
        var policy = policy()
        policy.warmed("a", at: at(0))
        policy.reloadRequested("a", reason: .manual, paths: [], at: at(0))
        #expect(policy.decide(at: at(0), busy: []).count == 1)
        policy.warmed("a", at: at(100))
        policy.changed("a", paths: ["opencode.json"], at: at(200))
        // Debounce over at 900, cooldown until 1 500.
        #expect(policy.due(at: at(1_000)).checks.isEmpty)
        #expect(policy.due(at: at(1_500)).checks.map(\.id) == ["a"])
    }

    @Test func aBusyInstanceDefersTheReloadUntilIdleAnnouncingItOnce() {
        var policy = policy()
        policy.warmed("a", at: at(0))
        policy.reloadRequested("a", reason: .config, paths: ["opencode.json"], at: at(1_000))
        var pending = InstancePolicy.PendingReload(reason: .config, paths: ["opencode.json"], since: at(1_000))
        pending.announced = true
        #expect(policy.decide(at: at(1_000), busy: ["a"]) == [.announcePending(workspaceID: "a", pending)])
        #expect(policy.decide(at: at(5_000), busy: ["a"]) == [])
        #expect(
            policy.decide(at: at(8_000), busy: [])
                == [.reload(workspaceID: "a", pending, deferred: .seconds(7), forced: false)])
    }

    @Test func aReloadIsForcedAfterTheDeferBound() {
        var policy = policy(deferMax: .seconds(10))
        policy.warmed("a", at: at(0))
        policy.reloadRequested("a", reason: .config, paths: ["x"], at: at(0))
        #expect(policy.decide(at: at(0), busy: ["a"]).count == 1)
        #expect(policy.decide(at: at(9_999), busy: ["a"]) == [])
        var pending = InstancePolicy.PendingReload(reason: .config, paths: ["x"], since: at(0))
        pending.announced = true
        #expect(
            policy.decide(at: at(10_000), busy: ["a"])
                == [.reload(workspaceID: "a", pending, deferred: .seconds(10), forced: true)])
    }

    @Test func aLeaseDefersTheReloadPastTheBoundUntilItEnds() {
        var policy = policy(deferMax: .seconds(1))
        policy.warmed("a", at: at(0))
        _ = policy.lease("a", leaseID: "l1", ttl: .seconds(30), at: at(0))
        policy.reloadRequested("a", reason: .manual, paths: [], at: at(0))
        #expect(policy.decide(at: at(0), busy: []).count == 1)  // announced
        #expect(policy.decide(at: at(20_000), busy: ["a"]) == [])
        _ = policy.release("l1", at: at(25_000))
        var pending = InstancePolicy.PendingReload(reason: .manual, paths: [], since: at(0))
        pending.announced = true
        #expect(
            policy.decide(at: at(25_000), busy: [])
                == [.reload(workspaceID: "a", pending, deferred: .seconds(25), forced: false)])
    }

    @Test func aPendingReloadGainsPathsAndKeepsItsStart() {
        var policy = policy()
        policy.warmed("a", at: at(0))
        policy.reloadRequested("a", reason: .config, paths: ["b"], at: at(0))
        policy.reloadRequested("a", reason: .config, paths: ["a"], at: at(5_000))
        #expect(policy.warm["a"]?.pending?.paths == ["a", "b"])
        #expect(policy.warm["a"]?.pending?.since == at(0))
    }

    @Test func aPinnedInstanceIsReloadedButNeverEvicted() {
        var policy = policy(ttl: .seconds(1), cap: 0 + 1)
        policy.pinned = ["a"]
        policy.warmed("a", at: at(0))
        policy.warmed("b", at: at(0))
        #expect(
            policy.decide(at: at(500), busy: []) == [
                .evict(workspaceID: "b", reason: .capacity, idle: .milliseconds(500))
            ])
        #expect(policy.decide(at: at(60_000), busy: []) == [])
        policy.reloadRequested("a", reason: .manual, paths: [], at: at(60_000))
        #expect(policy.decide(at: at(60_000), busy: []).count == 1)
        #expect(policy.warm.isEmpty)
    }

    @Test func nothingIsEvictedOrReloadedWithoutAnIdleAnswer() {
        var policy = policy(ttl: .seconds(10), cap: 1)
        policy.warmed("a", at: at(0))
        // Asked at 9 s: not a candidate yet. Past its TTL by the time the answers are in: it waits.
        #expect(policy.needsBusyAnswer(at: at(9_000)) == [])
        #expect(policy.decide(at: at(10_500), answers: [:]) == [])
        #expect(policy.warm["a"]?.lastUsed == at(0))
        // b warmed while opencode was asked: over the cap, but unasked, so nothing is said or evicted yet.
        policy.warmed("b", at: at(10_600))
        #expect(policy.decide(at: at(10_700), answers: ["a": true]) == [])
        #expect(policy.needsBusyAnswer(at: at(10_800)) == ["a", "b"])
        #expect(policy.decide(at: at(10_800), answers: ["a": true, "b": true]) == [.overCapacity(warm: 2, cap: 1)])
        policy.reloadRequested("b", reason: .manual, paths: [], at: at(11_000))
        #expect(policy.decide(at: at(11_000), answers: [:]) == [])
        #expect(policy.decide(at: at(11_000), answers: ["b": false]).count == 1)
    }

    @Test func aCooledInstanceDropsItsPendingReload() {
        var policy = policy()
        policy.warmed("a", at: at(0))
        policy.reloadRequested("a", reason: .config, paths: ["x"], at: at(0))
        policy.cooled("a")
        #expect(policy.decide(at: at(1_000), busy: []) == [])
    }
}

@Suite struct LifecycleSettingsTests {
    @Test(arguments: [
        ("300", Duration.seconds(300)), ("300s", .seconds(300)), ("15m", .seconds(900)), ("1h", .seconds(3_600)),
        ("1500ms", .milliseconds(1_500)), (" 2S ", .seconds(2)), ("0", .zero),
    ])
    func durationsParse(_ text: String, _ expected: Duration) {
        #expect(LifecycleSettings.parseDuration(text) == expected)
    }

    @Test(arguments: ["", "-1", "5 minutes", "1.5s", "abc", "9999999999999h"])
    func badDurationsAreRefused(_ text: String) {
        #expect(LifecycleSettings.parseDuration(text) == nil)
    }

    @Test func defaultsAreTheDocumentedOnes() throws {
        let settings = try LifecycleSettings.resolve(.init(), environment: [:])
        #expect(settings.idleTTL == .seconds(900))
        #expect(settings.maxWarm == nil)
        #expect(settings.hotReload)
        #expect(settings.debounce == .milliseconds(700))
        #expect(settings.cooldown == .milliseconds(1_500))
        #expect(settings.reloadDeferMax == .seconds(600))
        #expect(settings.watcher == .automatic)
    }

    @Test func flagsWinOverVariablesAndZeroTurnsThingsOff() throws {
        let environment = [
            "OPENWORK_INSTANCE_IDLE_TTL": "5m", "OPENWORK_MAX_WARM_INSTANCES": "3",
            "OPENWORK_OPENCODE_HOT_RELOAD": "no", "OPENWORK_OPENCODE_HOT_RELOAD_DEBOUNCE_MS": "100",
            "OPENWORK_OPENCODE_HOT_RELOAD_COOLDOWN_MS": "200", "OPENWORK_RELOAD_DEFER_MAX": "30s",
            "OPENWORK_OPENCODE_HOT_RELOAD_WATCHER": "poll",
        ]
        let fromVariables = try LifecycleSettings.resolve(.init(), environment: environment)
        #expect(fromVariables.idleTTL == .seconds(300))
        #expect(fromVariables.maxWarm == 3)
        #expect(!fromVariables.hotReload)
        #expect(fromVariables.debounce == .milliseconds(100))
        #expect(fromVariables.cooldown == .milliseconds(200))
        #expect(fromVariables.reloadDeferMax == .seconds(30))
        #expect(fromVariables.watcher == .poll)
        var flags = LifecycleSettings.Flags()
        flags.idleTTL = "0"
        flags.maxWarm = 0
        flags.hotReload = true
        let fromFlags = try LifecycleSettings.resolve(flags, environment: environment)
        #expect(fromFlags.idleTTL == nil)
        #expect(fromFlags.maxWarm == nil)
        #expect(fromFlags.hotReload)
    }

    @Test(arguments: [
        ["OPENWORK_INSTANCE_IDLE_TTL": "soon"], ["OPENWORK_MAX_WARM_INSTANCES": "-1"],
        ["OPENWORK_OPENCODE_HOT_RELOAD": "maybe"], ["OPENWORK_OPENCODE_HOT_RELOAD_DEBOUNCE_MS": "x"],
        ["OPENWORK_RELOAD_DEFER_MAX": "1 day"], ["OPENWORK_OPENCODE_HOT_RELOAD_WATCHER": "kqueue"],
    ])
    func badValuesAreInvalidSettings(_ environment: [String: String]) {
        #expect(throws: OpenWorkError.self) { try LifecycleSettings.resolve(.init(), environment: environment) }
    }
}
