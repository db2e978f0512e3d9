import Foundation
import OpenWorkDashboard
import OpenWorkJSON
import OpenWorkLogging
import Testing

/// Frames drawn from fixed models: exact golden text for the common sizes, and for any size, a frame that fits.
///
/// Refresh the golden files after a deliberate change of the layout:
/// `UPDATE_GOLDEN=1 swift test --filter OpenWorkDashboardTests` (then review `git diff Tests/…/Golden`).
@Suite("dashboard: frames")
struct DashboardFrameTests {
    static let monotonic: UInt64 = 1_000

    static func frame(_ model: DashboardModel) -> Screen {
        DashboardFrame.render(model, unixMillis: DashboardFixtures.now, monotonic: monotonic)
    }

    @Test(arguments: [
        ("overview-100x30", "o", 100, 30), ("logs-100x30", "l", 100, 30), ("help-100x30", "h", 100, 30),
        ("overview-60x16", "o", 60, 16), ("logs-60x16", "l", 60, 16),
    ])
    func goldenFrames(name: String, key: Character, width: Int, height: Int) throws {
        var model = DashboardFixtures.model(width: width, height: height, logs: 40)
        _ = model.handle(.character(key), now: 0)
        model.toast = nil
        try Golden.check(Self.frame(model).text, name: name)
    }

    @Test func secretsAreMaskedUntilRevealed() {
        var model = DashboardFixtures.model(width: 100, height: 30)
        let hidden = Self.frame(model).text
        #expect(!hidden.contains("s3cret-password"))
        #expect(!hidden.contains("owner-token-value"))
        #expect(hidden.contains("OPENCODE_SERVER_PASSWORD=[REDACTED]"))
        _ = model.handle(.character("s"), now: 0)
        let shown = Self.frame(model).text
        #expect(shown.contains("s3cret-password"))
        #expect(shown.contains("owner-token-value"))
    }

    @Test func aNarrowTerminalDropsColumnsFromTheRight() {
        let wide = Self.frame(DashboardFixtures.model(width: 100, height: 30)).text
        #expect(wide.contains("LAST EXIT") && wide.contains("RESTARTS") && wide.contains("UPTIME"))
        let narrow = Self.frame(DashboardFixtures.model(width: 50, height: 30)).text
        #expect(narrow.contains("SERVICE") && narrow.contains("STATE") && narrow.contains("PID"))
        #expect(!narrow.contains("LAST EXIT") && !narrow.contains("UPTIME"))
        #expect(narrow.contains("restarting"))
    }

    /// Every size from nothing to wide, every view: exactly `height` lines, none wider than `width`.
    @Test func anySizeFits() {
        for view in ["o", "l", "h"] {
            for width in [0, 1, 2, 5, 10, 19, 20, 33, 47, 60, 79, 80, 120, 300] {
                for height in [0, 1, 2, 3, 4, 5, 8, 24, 60] {
                    var model = DashboardFixtures.model(width: width, height: height, logs: 50)
                    _ = model.handle(.character(Character(view)), now: 0)
                    let screen = Self.frame(model)
                    #expect(screen.lines.count == height, "\(view) \(width)x\(height)")
                    for line in screen.lines {
                        let columns = line.reduce(0) { $0 + $1.text.count }
                        #expect(columns <= width, "\(view) \(width)x\(height): \(line.map(\.text).joined())")
                    }
                }
            }
        }
    }

    @Test func logLinesAreMadePrintable() {
        var model = DashboardFixtures.model(width: 100, height: 12)
        _ = model.handle(.character("l"), now: 0)
        var line = DashboardFixtures.line(1)
        line.body = "\u{1B}[31mred\u{1B}[0m\ttab\u{07}bell"
        model.apply(.log(line))
        let text = Self.frame(model).text
        #expect(text.contains("| red    tabbell"))
        #expect(!text.contains("\u{1B}"))
    }

    @Test func theFooterShowsTheCurrentViewsKeysAToastOrTheSearch() {
        var model = DashboardFixtures.model(width: 120, height: 20)
        #expect(Self.frame(model).text.hasSuffix("c copy attach"))
        _ = model.handle(.character("l"), now: 0)
        #expect(Self.frame(model).text.split(separator: "\n").last?.contains("f unfollow") == true)
        _ = model.handle(.character("f"), now: Self.monotonic)
        #expect(Self.frame(model).text.split(separator: "\n").last?.contains("Follow off") == true)
        _ = model.handle(.character("/"), now: Self.monotonic)
        _ = model.handle(.character("x"), now: Self.monotonic)
        #expect(Self.frame(model).text.split(separator: "\n").last?.hasPrefix(" /x_") == true)
    }

    /// The help lists every key the issue asks for.
    @Test func helpListsEveryKey() {
        var model = DashboardFixtures.model(width: 120, height: 60)
        _ = model.handle(.character("h"), now: 0)
        let text = Self.frame(model).text
        for key in [
            "q, Ctrl-C", "d ", "l ", "o, b", "h, ?", "c ", "r ", "Up/Down, j/k", "PgUp/PgDn", "f ", "s ", "e ", "/ ",
        ] {
            #expect(text.contains("    " + key), "help lacks \(key)")
        }
    }

    @Test func serviceRowsFromHostStatus() throws {
        let status = try JSONValue(
            parsing: """
                {"runId":"r","workspace":"/w","services":[
                 {"service":"opencode","state":"ready","pid":10,"url":"http://127.0.0.1:4096","restarts":1,
                  "lastExit":{"signal":9},"startedAt":5},
                 {"service":"openwork-server","state":"starting","pid":null,"url":null,"restarts":0,"lastExit":null,
                  "startedAt":null},
                 {"service":"opencode-router","state":"starting","pid":12,"url":null,"restarts":0,
                  "lastExit":{"code":3},"startedAt":7},
                 {"service":"x","state":"restarting","pid":null,"restarts":4},
                 {"service":"y","state":"failed"},{"service":"z","state":"stopped"}]}
                """)
        let rows = ServiceRow.rows(hostStatus: status)
        #expect(
            rows == [
                ServiceRow(
                    name: "opencode", state: .healthy, pid: 10, port: 4096, startedAt: 5, restarts: 1,
                    lastExit: "signal 9"),
                ServiceRow(name: "openwork-server", state: .starting),
                ServiceRow(name: "opencode-router", state: .running, pid: 12, startedAt: 7, lastExit: "exit 3"),
                ServiceRow(name: "x", state: .restarting, restarts: 4),
                ServiceRow(name: "y", state: .failed), ServiceRow(name: "z", state: .stopped),
            ])
    }

    @Test func theChoiceOfDashboardOrPlainLogs() {
        func decide(
            _ command: String = "start", noTUI: Bool = false, json: Bool = false, check: Bool = false,
            stdin: Bool = true, stdout: Bool = true, term: String? = "xterm-256color"
        ) -> DashboardChoice {
            DashboardChoice.decide(
                command: command, noTUI: noTUI, json: json, check: check, standardInputIsTerminal: stdin,
                standardOutputIsTerminal: stdout, term: term)
        }
        #expect(decide() == .dashboard)
        #expect(decide("serve") == .plain(reason: nil))
        #expect(decide(noTUI: true) == .plain(reason: nil))
        #expect(decide(json: true) == .plain(reason: nil))
        #expect(decide(check: true) == .plain(reason: nil))
        #expect(decide(stdout: false) == .plain(reason: nil))
        #expect(decide(term: "dumb") == .plain(reason: nil))
        #expect(decide(term: nil) == .plain(reason: nil))
        guard case .plain(let reason?) = decide(stdin: false) else {
            Issue.record("a dashboard without a keyboard")
            return
        }
        #expect(reason.contains("standard input is not a terminal"))
    }
}

/// Golden text files in `Golden/`, compared exactly; `UPDATE_GOLDEN=1` rewrites them.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func check(_ text: String, name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = directory.appendingPathComponent(name + ".txt")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data((text + "\n").utf8).write(to: file)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(
            text + "\n" == expected,
            "\(name) differs from Golden/\(name).txt (UPDATE_GOLDEN=1 rewrites it):\n\(text)",
            sourceLocation: sourceLocation)
    }
}
