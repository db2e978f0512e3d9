import Logging
import OpenWorkJSON
import OpenWorkLogging
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// Log records: the OpenTelemetry JSON shape, the pretty line, child-line forwarding, and settings precedence.
@Suite("Logging")
struct LoggingTests {
    static let instant: UInt64 = 1_795_249_805_123_000_000  // 2026-11-21T08:30:05.123Z

    func captured(_ format: LogFormat, level: Logger.Level = .info) -> (LogSettings, Locked<[String]>) {
        let lines = Locked<[String]>([])
        let settings = LogSettings(format: format, runID: "run-1", level: level) { line in
            lines.withLock { $0.append(line) }
        }
        return (settings, lines)
    }

    @Test("a JSON record has the OpenTelemetry shape the orchestrator writes")
    func jsonShape() throws {
        let line = LogLine(
            timeUnixNano: Self.instant, level: .warning, body: "opencode exited", component: "engine",
            attributes: ["pid": 42])
        let record = try JSONValue(parsing: line.json(runID: "run-1", version: "9.9.9", pid: 7))
        #expect(record["timeUnixNano"] == "1795249805123000000")
        #expect(record["severityText"] == "WARN")
        #expect(record["severityNumber"] == 13)
        #expect(record["body"] == "opencode exited")
        #expect(record["attributes"] == ["pid": 42, "run.id": "run-1", "service.component": "engine"])
        #expect(record["resource"]?["service.name"] == "openwork-orchestrator")
        #expect(record["resource"]?["service.instance.id"] == "run-1")
        #expect(record["resource"]?["service.version"] == "9.9.9")
        #expect(record["resource"]?["process.pid"] == 7)
        #expect(!line.json(runID: "r", version: "v", pid: 1).contains("\n"), "one record, one line")
    }

    @Test(
        "severity numbers follow OpenTelemetry (debug 5, info 9, warn 13, error 17)",
        arguments: [
            (Logger.Level.trace, "TRACE", 1), (.debug, "DEBUG", 5), (.info, "INFO", 9), (.notice, "INFO2", 10),
            (.warning, "WARN", 13), (.error, "ERROR", 17), (.critical, "FATAL", 21),
        ])
    func severities(level: Logger.Level, text: String, number: Int) {
        #expect(LogLine.severity(level) == (text, number))
    }

    @Test("a pretty line: UTC time, level, component, body, plain attributes only")
    func pretty() {
        let line = LogLine(
            timeUnixNano: Self.instant, level: .info, body: "GET /health 200 0.3ms", component: "daemon",
            attributes: ["http.request.method": "GET", "attempt": 2, "reason": "two words"])
        #expect(
            line.pretty()
                == #"2026-11-21T08:30:05.123Z INFO  daemon | GET /health 200 0.3ms attempt=2 reason="two words""#)
    }

    @Test func prettyColoursTheLevelAndTheComponentOnlyWhenAsked() {
        let line = LogLine(timeUnixNano: 0, level: .warning, body: "b", component: "openwork-server")
        #expect(!line.pretty().contains("\u{1B}"))
        let coloured = line.pretty(colour: true)
        #expect(coloured.contains("\u{1B}[33mWARN \u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[35mopenwork-server\u{1B}[0m | b"))
    }

    @Test(
        "the pretty level column is five characters, the short name without a digit",
        arguments: [
            (Logger.Level.trace, "TRACE"), (.debug, "DEBUG"), (.info, "INFO "), (.notice, "INFO "),
            (.warning, "WARN "), (.error, "ERROR"), (.critical, "FATAL"),
        ])
    func prettyLevel(level: Logger.Level, column: String) {
        let line = LogLine(timeUnixNano: Self.instant, level: level, body: "b", component: "daemon")
        #expect(line.pretty() == "2026-11-21T08:30:05.123Z \(column) daemon | b")
    }

    @Test(
        "timestamps are RFC 3339 UTC with milliseconds",
        arguments: [
            (UInt64(0), "1970-01-01T00:00:00.000Z"), (951_782_400_005_000_000, "2000-02-29T00:00:00.005Z"),
            (4_102_444_799_999_000_000, "2099-12-31T23:59:59.999Z"),
        ])
    func timestamps(nanoseconds: UInt64, expected: String) {
        #expect(LogLine.timestamp(nanoseconds) == expected)
    }

    @Test("a child's OpenTelemetry line passes through unchanged, in either format")
    func passThrough() {
        let record =
            #"{"timeUnixNano":"1","severityText":"INFO","severityNumber":9,"body":"hi","attributes":{"x":1}}"#
        for format in LogFormat.allCases {
            let (settings, lines) = captured(format)
            settings.forward(childLine: record, component: "opencode")
            #expect(lines.value == [record])
        }
    }

    @Test("a child's plain line is wrapped with its component and the level it announces")
    func wrapping() throws {
        let (settings, lines) = captured(.json)
        settings.forward(childLine: "opencode server listening on http://127.0.0.1:4096", component: "opencode")
        settings.forward(childLine: "ERROR 2026-11-21 service=server boom", component: "opencode")
        settings.forward(childLine: "DEBUG 2026-11-21 chatty", component: "opencode")
        settings.forward(childLine: #"{"not":"a log record"}"#, component: "opencode")
        let records = try lines.value.map { try JSONValue(parsing: $0) }
        #expect(records.count == 3, "the debug line is below the info level")
        #expect(
            records.map { $0["body"] } == [
                "opencode server listening on http://127.0.0.1:4096", "ERROR 2026-11-21 service=server boom",
                #"{"not":"a log record"}"#,
            ])
        #expect(records.map { $0["severityText"] } == ["INFO", "ERROR", "INFO"])
        #expect(records.allSatisfy { $0["attributes"]?["service.component"] == "opencode" })
        #expect(records.allSatisfy { $0["attributes"]?["run.id"] == "run-1" })
    }

    @Test("with a records sink (the dashboard), records go there instead of being written, child lines parsed")
    func recordsSink() {
        let (plain, lines) = captured(.pretty, level: .info)
        let records = Locked<[LogLine]>([])
        var settings = plain
        settings.records = { record in records.withLock { $0.append(record) } }
        settings.forward(childLine: "WARN  2026-11-21 disk almost full", component: "opencode")
        settings.forward(
            childLine: #"{"timeUnixNano":"7","severityText":"ERROR","severityNumber":17,"body":"boom","#
                + #""attributes":{"service.component":"openwork-server"}}"#,
            component: "opencode")
        settings.forward(childLine: "DEBUG 2026-11-21 chatty", component: "opencode")
        var logger = Logger(label: "openwork.host") { OpenWorkLogHandler(label: $0, settings: settings) }
        logger[metadataKey: "service"] = "opencode"
        logger.info("service.ready")
        #expect(lines.value.isEmpty, "nothing written")
        let got = records.withLock { $0 }
        #expect(got.map(\.level) == [.warning, .error, .info])
        #expect(got.map(\.component) == ["opencode", "openwork-server", "host"])
        #expect(got.map(\.message) == ["WARN  2026-11-21 disk almost full", "boom", "service.ready service=opencode"])
        #expect(got[1].timeUnixNano == 7)
    }

    @Test("the handler names the component after the label and merges metadata")
    func handler() throws {
        let (settings, lines) = captured(.json, level: .debug)
        var logger = Logger(label: "openwork.daemon") { OpenWorkLogHandler(label: $0, settings: settings) }
        logger[metadataKey: "workspaceId"] = "ws-1"
        logger.debug("hello", metadata: ["attempt": "2"])
        logger.trace("below the level")
        let records = try lines.value.map { try JSONValue(parsing: $0) }
        #expect(records.count == 1)
        #expect(records.first?["body"] == "hello")
        #expect(records.first?["severityText"] == "DEBUG")
        #expect(
            records.first?["attributes"]
                == ["workspaceId": "ws-1", "attempt": "2", "service.component": "daemon", "run.id": "run-1"])
    }

    @Test("run ids are random version-4 UUIDs")
    func runIDs() {
        let id = LogSettings.newRunID()
        #expect(id.count == 36)
        #expect(id.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(Array(id)[14] == "4")
        #expect(id != LogSettings.newRunID())
    }

    @Test(
        "booleans: true/1/yes and false/0/no in any case; anything else is not a boolean",
        arguments: [
            ("true", true), ("1", true), ("yes", true), ("YES", true), (" True ", true), ("false", false),
            ("0", false), ("no", false), ("No", false),
        ])
    func booleanWords(text: String, value: Bool) {
        #expect(Setting.boolean(text) == value)
    }

    @Test("flag, then environment, then default; a bad variable is invalid_setting")
    func precedence() throws {
        let environment = ["OPENWORK_VERBOSE": "yes", "BAD": "maybe"]
        #expect(
            try Setting.boolean(flag: false, variable: "OPENWORK_VERBOSE", environment: environment, default: false)
                == false)
        #expect(
            try Setting.boolean(flag: nil, variable: "OPENWORK_VERBOSE", environment: environment, default: false)
                == true)
        #expect(try Setting.boolean(flag: nil, variable: "UNSET", environment: environment, default: true) == true)
        #expect(try Setting.boolean(flag: nil, variable: "EMPTY", environment: ["EMPTY": ""], default: true) == true)
        #expect(Setting.boolean("maybe") == nil)
        #expect(Setting.boolean("") == nil)
        do {
            _ = try Setting.boolean(flag: nil, variable: "BAD", environment: environment, default: false)
            Issue.record("a bad value was accepted")
        } catch {
            #expect(error.code == .invalidSetting)
            #expect(error.message.contains("BAD=maybe"))
        }
        #expect(Setting.string(flag: "a", variable: "V", environment: ["V": "b"]) == "a")
        #expect(Setting.string(flag: nil, variable: "V", environment: ["V": "b"]) == "b")
        #expect(Setting.string(flag: nil, variable: "V", environment: ["V": ""]) == nil)
    }
}
