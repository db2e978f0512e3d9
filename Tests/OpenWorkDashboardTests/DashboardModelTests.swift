import Logging
import OpenWorkDashboard
import OpenWorkLogging
import Testing

@Suite("dashboard: the model, driven by events and keys")
struct DashboardModelTests {
    @Test func viewKeysSwitchTabsFromAnyView() {
        var model = DashboardFixtures.model()
        #expect(model.view == .overview)
        for (key, view) in [
            ("l", DashboardModel.View.logs), ("h", .help), ("o", .overview), ("?", .help), ("b", .overview),
        ] {
            #expect(model.handle(.character(Character(key)), now: 0) == nil)
            #expect(model.view == view, "after \(key)")
        }
        _ = model.handle(.tab, now: 0)
        #expect(model.view == .logs)
    }

    @Test func quitAsksOnceAndShowsThatEverythingStops() {
        var model = DashboardFixtures.model()
        #expect(model.handle(.character("q"), now: 0) == .quit)
        #expect(model.phase == .stopping)
        #expect(model.toast(at: 1) == "Stopping every service…")
        #expect(model.handle(.character("q"), now: 0) == nil)
        #expect(model.handle(.interrupt, now: 0) == nil)
        var other = DashboardFixtures.model()
        #expect(other.handle(.interrupt, now: 0) == .quit)
    }

    @Test func detachOnlyOnceEveryServiceHasStarted() {
        var model = DashboardModel(header: DashboardFixtures.header)
        #expect(model.handle(.character("d"), now: 0) == nil)
        #expect(model.toast(at: 0)?.contains("once every service has started") == true)
        model.apply(.phase(.running))
        #expect(model.handle(.character("d"), now: 0) == .detach)
        #expect(model.phase == .detaching)
    }

    @Test func copyHandsOverTheAttachCommandWithItsCredentials() {
        var model = DashboardModel(header: DashboardFixtures.header)
        #expect(model.handle(.character("c"), now: 0) == nil)
        model = DashboardFixtures.model()
        let command = model.handle(.character("c"), now: 0)
        #expect(command == .copy(text: DashboardFixtures.connection[4].value))
        #expect(model.toast(at: 0)?.hasPrefix("Attach command copied") == true)
    }

    @Test func restartNamesTheSelectedServiceAndTheSelectionFollowsItsName() {
        var model = DashboardFixtures.model()
        #expect(model.handle(.character("r"), now: 0) == .restart(service: "opencode"))
        _ = model.handle(.down, now: 0)
        _ = model.handle(.character("j"), now: 0)
        #expect(model.selectedService == 1)
        #expect(model.handle(.character("r"), now: 0) == .restart(service: "openwork-server"))
        // New rows in another order: the selection stays on openwork-server.
        model.apply(.services(DashboardFixtures.services.reversed()))
        #expect(model.selectedService == 0)
        _ = model.handle(.character("k"), now: 0)
        #expect(model.selectedService == 0)
        // Not in the Logs view, where r means nothing.
        _ = model.handle(.character("l"), now: 0)
        #expect(model.handle(.character("r"), now: 0) == nil)
    }

    @Test func sRevealsSecretsOnTheOverviewAndCyclesTheServiceFilterOnLogs() {
        var model = DashboardFixtures.model()
        #expect(!model.secretsRevealed)
        _ = model.handle(.character("s"), now: 0)
        #expect(model.secretsRevealed)
        _ = model.handle(.character("s"), now: 0)
        #expect(!model.secretsRevealed)
        _ = model.handle(.character("l"), now: 0)
        var seen: [String?] = []
        for _ in 0..<5 {
            _ = model.handle(.character("s"), now: 0)
            seen.append(model.serviceFilter)
        }
        #expect(seen == ["opencode", "openwork-server", "openwork", nil, "opencode"])
        #expect(!model.secretsRevealed)
    }

    @Test func filtersSelectByServiceLevelAndSearch() {
        var model = DashboardFixtures.model(logs: 30)
        _ = model.handle(.character("l"), now: 0)
        #expect(model.visibleLogs.count == 30)
        _ = model.handle(.character("s"), now: 0)
        #expect(model.visibleLogs.allSatisfy { $0.line.component == "opencode" })
        #expect(model.visibleLogs.count == 10)
        _ = model.handle(.character("s"), now: 0)
        _ = model.handle(.character("s"), now: 0)
        #expect(model.serviceFilter == "openwork")
        #expect(model.visibleLogs.allSatisfy { $0.line.component == "engine" })
        _ = model.handle(.character("s"), now: 0)
        #expect(model.serviceFilter == nil)
        _ = model.handle(.character("e"), now: 0)
        #expect(model.levelFilter == .info)
        _ = model.handle(.character("e"), now: 0)
        #expect(model.levelFilter == .warning)
        #expect(model.visibleLogs.map(\.line.body) == ["line 4", "line 9", "line 14", "line 19", "line 24", "line 29"])
        _ = model.handle(.character("e"), now: 0)
        #expect(model.visibleLogs.map(\.line.body) == ["line 9", "line 19", "line 29"])
        _ = model.handle(.character("e"), now: 0)
        #expect(model.levelFilter == .all)
        // `/` opens the search; typed keys are text, not commands, until Enter.
        _ = model.handle(.character("/"), now: 0)
        for character in "LINE 2q" { #expect(model.handle(.character(character), now: 0) == nil) }
        _ = model.handle(.backspace, now: 0)
        #expect(model.searchDraft == "LINE 2")
        _ = model.handle(.enter, now: 0)
        #expect(model.search == "LINE 2")
        #expect(model.visibleLogs.map(\.line.body) == ["line 2"] + (20...29).map { "line \($0)" })
        _ = model.handle(.escape, now: 0)
        #expect(model.search == nil)
        _ = model.handle(.character("/"), now: 0)
        _ = model.handle(.character("x"), now: 0)
        _ = model.handle(.escape, now: 0)
        #expect(model.search == nil && model.searchDraft == nil)
    }

    @Test func scrollingLeavesFollowAndKeepsItsPlaceWhileLinesArrive() {
        var model = DashboardFixtures.model(height: 14, logs: 100)  // 10 log rows
        _ = model.handle(.character("l"), now: 0)
        #expect(model.logRows == 10)
        #expect(model.logWindow().lines.map(\.sequence) == Array(90..<100))
        _ = model.handle(.up, now: 0)
        #expect(!model.follow)
        #expect(model.logWindow().lines.map(\.sequence) == Array(89..<99))
        _ = model.handle(.pageUp, now: 0)
        #expect(model.logWindow().lines.map(\.sequence) == Array(79..<89))
        for index in 100..<120 { model.apply(.log(DashboardFixtures.line(index))) }
        #expect(model.logWindow().lines.map(\.sequence) == Array(79..<89), "new lines do not move the view")
        _ = model.handle(.pageDown, now: 0)
        _ = model.handle(.character("j"), now: 0)
        #expect(model.logWindow().lines.map(\.sequence) == Array(90..<100))
        _ = model.handle(.home, now: 0)
        #expect(model.logWindow().lines.map(\.sequence) == Array(0..<10))
        _ = model.handle(.pageUp, now: 0)
        #expect(model.logWindow().lines.map(\.sequence) == Array(0..<10), "the top is the top")
        _ = model.handle(.end, now: 0)
        #expect(model.follow)
        #expect(model.logWindow().lines.map(\.sequence) == Array(110..<120))
        _ = model.handle(.character("f"), now: 0)
        #expect(!model.follow)
        model.apply(.log(DashboardFixtures.line(120)))
        #expect(model.logWindow().lines.last?.sequence == 119)
        _ = model.handle(.character("f"), now: 0)
        #expect(model.logWindow().lines.last?.sequence == 120)
    }

    @Test func theBufferKeepsTheNewestLinesAndAViewOfDroppedLinesMovesToTheOldestKept() {
        var model = DashboardFixtures.model(height: 14)
        _ = model.handle(.character("l"), now: 0)
        for index in 0..<100 { model.apply(.log(DashboardFixtures.line(index))) }
        _ = model.handle(.home, now: 0)
        for index in 100..<(DashboardModel.logCapacity + 200) { model.apply(.log(DashboardFixtures.line(index))) }
        #expect(model.logs.count == DashboardModel.logCapacity)
        #expect(model.logs.firstSequence == 200)
        let window = model.logWindow()
        #expect(window.lines.first?.sequence == 200)
        #expect(window.lines.count == 10)
    }

    @Test func toastsExpire() {
        var model = DashboardFixtures.model()
        model.apply(.toast("hello", now: 1_000))
        #expect(model.toast(at: 1_000) == "hello")
        #expect(model.toast(at: 1_000 + DashboardModel.toastDuration) == nil)
    }

    @Test func overallHealth() {
        func health(_ states: [ServiceState]) -> OverallHealth {
            OverallHealth(states.enumerated().map { ServiceRow(name: "s\($0.offset)", state: $0.element) })
        }
        #expect(health([]) == .starting)
        #expect(health([.healthy, .healthy]) == .allGreen)
        #expect(health([.healthy, .running]) == .starting)
        #expect(health([.healthy, .starting]) == .starting)
        #expect(health([.healthy, .restarting]) == .degraded)
        #expect(health([.healthy, .failed]) == .degraded)
        #expect(health([.stopped, .stopped]) == .stopped)
    }
}
