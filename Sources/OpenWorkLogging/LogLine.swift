public import Logging
public import OpenWorkJSON

/// How log lines are written: `pretty` for people, `json` for collectors.
public enum LogFormat: String, Sendable, CaseIterable {
    case pretty
    case json
}

/// One log record, already decided, and the two ways to print it. Pure: the time comes from the caller.
///
/// The JSON form is an OpenTelemetry log record on one line, the shape the OpenWork orchestrator writes:
/// `{"timeUnixNano":"…","severityText":"INFO","severityNumber":9,"body":"…","attributes":{"run.id":…,
/// "service.component":…,…},"resource":{"service.name":"openwork-orchestrator","service.instance.id":<run id>,…}}`.
public struct LogLine: Sendable, Equatable {
    public var timeUnixNano: UInt64
    public var level: Logger.Level
    public var body: String
    /// Who wrote it: `openwork`, `daemon`, `engine`, `opencode`, …
    public var component: String
    public var attributes: [String: JSONValue]

    public init(
        timeUnixNano: UInt64, level: Logger.Level, body: String, component: String,
        attributes: [String: JSONValue] = [:]
    ) {
        self.timeUnixNano = timeUnixNano
        self.level = level
        self.body = body
        self.component = component
        self.attributes = attributes
    }

    /// The `service.name` of every record; the orchestrator's, so its log pipelines keep working.
    public static let serviceName = "openwork-orchestrator"

    /// OpenTelemetry severity text and number (debug 5, info 9, warn 13, error 17).
    public static func severity(_ level: Logger.Level) -> (text: String, number: Int) {
        switch level {
        case .trace: ("TRACE", 1)
        case .debug: ("DEBUG", 5)
        case .info: ("INFO", 9)
        case .notice: ("INFO2", 10)
        case .warning: ("WARN", 13)
        case .error: ("ERROR", 17)
        case .critical: ("FATAL", 21)
        }
    }

    /// The record as one OpenTelemetry-shaped JSON line (no newline).
    public func json(runID: String, version: String, pid: Int32) -> String {
        let severity = Self.severity(level)
        var attributes = self.attributes
        attributes["run.id"] = .string(runID)
        attributes["service.component"] = .string(component)
        let record: JSONValue = [
            "timeUnixNano": .string(String(timeUnixNano)),
            "severityText": .string(severity.text),
            "severityNumber": .integer(Int64(severity.number)),
            "body": .string(body),
            "attributes": .object(attributes),
            "resource": [
                "service.name": .string(Self.serviceName),
                "service.instance.id": .string(runID),
                "service.version": .string(version),
                "process.pid": .integer(Int64(pid)),
            ],
        ]
        return (try? record.serialized(.canonical)) ?? #"{"body":"unprintable log record"}"#
    }

    /// The record for people: `2026-11-21T08:30:00.123Z INFO  daemon | body key=value …` (no newline).
    /// Dotted attribute names (OpenTelemetry semantic conventions such as `http.request.method`) are for
    /// machines: they repeat what the body says and appear in the JSON form only.
    ///
    /// With `colour` (a terminal), the level and the component are coloured, one colour per component, so the
    /// services of host mode can be told apart at a glance.
    public func pretty(colour: Bool = false) -> String {
        let levelText = colour ? Self.paint(Self.paddedLevel(level), Self.levelColour(level)) : Self.paddedLevel(level)
        let componentText = colour ? Self.paint(component, Self.componentColour(component)) : component
        return Self.timestamp(timeUnixNano) + " " + levelText + " " + componentText + " | " + message
    }

    /// The body followed by the attributes people read (` key=value`, undotted names only, sorted).
    public var message: String {
        var text = body
        for key in attributes.keys.sorted() where !key.contains(".") {
            guard let value = attributes[key] else { continue }
            text += " \(key)=" + Self.prettyValue(value)
        }
        return text
    }

    /// SGR colour numbers: warnings yellow, errors red, the rest uncoloured.
    static func levelColour(_ level: Logger.Level) -> Int? {
        switch level {
        case .warning: 33
        case .error, .critical: 31
        default: nil
        }
    }

    /// One colour per component: opencode cyan, openwork-server magenta, opencode-router yellow, openwork's own
    /// blue.
    static func componentColour(_ component: String) -> Int? {
        switch component {
        case "opencode": 36
        case "openwork-server": 35
        case "opencode-router": 33
        default: 34
        }
    }

    static func paint(_ text: String, _ colour: Int?) -> String {
        guard let colour else { return text }
        return "\u{1B}[\(colour)m" + text + "\u{1B}[0m"
    }

    /// The level column of the pretty form: the severity's short name without its digit (`notice`, OpenTelemetry
    /// `INFO2`, reads `INFO `), padded to five characters.
    static func paddedLevel(_ level: Logger.Level) -> String {
        let text = severity(level).text.filter { !$0.isNumber }
        return text + String(repeating: " ", count: max(0, 5 - text.count))
    }

    static func prettyValue(_ value: JSONValue) -> String {
        if case .string(let text) = value {
            return text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || text.isEmpty
                ? ((try? value.serialized(.compact)) ?? text) : text
        }
        return (try? value.serialized(.compact)) ?? "\(value)"
    }

    /// RFC 3339 UTC with milliseconds, computed without Foundation's formatters (cheap, thread-safe).
    public static func timestamp(_ nanoseconds: UInt64) -> String {
        let seconds = Int64(nanoseconds / 1_000_000_000)
        let milliseconds = Int((nanoseconds / 1_000_000) % 1_000)
        let days = seconds / 86_400
        let secondOfDay = Int(seconds % 86_400)
        // Howard Hinnant's days-from-civil inverse.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis =
            milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(year)-\(two(Int(month)))-\(two(Int(day)))T\(two(secondOfDay / 3_600)):\(two(secondOfDay / 60 % 60))"
            + ":\(two(secondOfDay % 60)).\(millis)Z"
    }

    // MARK: Lines of child processes

    /// Whether a child's output line is already an OpenTelemetry log record (then it passes through as is).
    public static func isOpenTelemetryRecord(_ line: String) -> Bool {
        guard line.first == "{", line.last == "}", let value = try? JSONValue(parsing: line),
            let members = value.objectValue
        else { return false }
        return members["timeUnixNano"] != nil && (members["severityText"] != nil || members["severityNumber"] != nil)
            && members["body"] != nil
    }

    /// A child's OpenTelemetry line read back into a record: its time, severity and body (the component its own
    /// `service.component` attribute when it has one, else `component`); the line itself as the body when it
    /// does not parse.
    public init(openTelemetryRecord line: String, component: String, now: UInt64) {
        let record = try? JSONValue(parsing: line)
        let number = record?["severityNumber"]?.int64Value
        let text = record?["severityText"]?.stringValue?.uppercased() ?? ""
        let level: Logger.Level =
            switch number {
            case .some(let number) where number >= 21: .critical
            case .some(let number) where number >= 17: .error
            case .some(let number) where number >= 13: .warning
            case .some(let number) where number >= 9: .info
            case .some(let number) where number >= 5: .debug
            case .some: .trace
            case .none: Self.level(ofChildLine: text)
            }
        let time = record?["timeUnixNano"]?.stringValue.flatMap(UInt64.init) ?? now
        let body = record?["body"]?.stringValue ?? line
        let own = record?["attributes"]?["service.component"]?.stringValue
        self.init(timeUnixNano: time, level: level, body: body, component: own ?? component)
    }

    /// The level a child's plain line announces (opencode writes `INFO  2025-… service=… message`), else `info`.
    public static func level(ofChildLine line: String) -> Logger.Level {
        let head = line.prefix(8).uppercased()
        if head.hasPrefix("ERROR") || head.hasPrefix("FATAL") { return .error }
        if head.hasPrefix("WARN") { return .warning }
        if head.hasPrefix("DEBUG") { return .debug }
        if head.hasPrefix("TRACE") { return .trace }
        return .info
    }

    /// Converts swift-log metadata to JSON attributes.
    public static func attributes(_ metadata: Logger.Metadata) -> [String: JSONValue] {
        metadata.mapValues(json)
    }

    static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let items): .array(items.map(json))
        case .dictionary(let members): .object(members.mapValues(json))
        }
    }
}
