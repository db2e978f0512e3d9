public import Logging
import OpenWorkJSON
import OpenWorkSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where log lines go and how they look: the format, the run id and the level, shared by every logger and by
/// the forwarding of child output, so one process writes one consistent stream (stderr by default).
public struct LogSettings: Sendable {
    public var format: LogFormat
    /// Identifies this run in every JSON record (`run.id`, `service.instance.id`).
    public var runID: String
    /// `debug` with `--verbose`, else `info`.
    public var level: Logger.Level
    /// Receives each finished line (without newline). Lines are written whole, one at a time.
    public var write: @Sendable (String) -> Void
    /// Colour the pretty form (see ``LogLine/pretty(colour:)``): set when stderr is a terminal that wants it.
    public var colour = false
    /// When set, every record is handed here instead of being rendered and written: the host-mode dashboard
    /// shows them on its Logs tab (a child's OpenTelemetry line is parsed back into a record first).
    public var records: (@Sendable (LogLine) -> Void)?

    public init(
        format: LogFormat = .pretty, runID: String = LogSettings.newRunID(), level: Logger.Level = .info,
        write: @escaping @Sendable (String) -> Void = LogSettings.writeToStandardError
    ) {
        self.format = format
        self.runID = runID
        self.level = level
        self.write = write
    }

    /// Whether stderr is a terminal that takes colours: a TTY, `TERM` not `dumb`, and no `NO_COLOR`
    /// (https://no-color.org).
    public static func standardErrorTakesColour(_ environment: [String: String]) -> Bool {
        isatty(2) == 1 && environment["TERM"] != "dumb" && (environment["NO_COLOR"] ?? "").isEmpty
    }

    /// A random UUID-shaped id (version 4), as the orchestrator uses when no `--run-id` is given.
    public static func newRunID() -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(
            separator: "-")
    }

    /// One `write(2)` per line so lines from several threads never interleave (a line up to PIPE_BUF is
    /// atomic on a pipe; longer ones are still written whole by this process).
    @Sendable public static func writeToStandardError(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        writeLock.withLock { _ in _ = FileIO.writeAll(2, bytes) }
    }

    private static let writeLock = Mutex(())

    /// Renders a record in this format.
    public func render(_ line: LogLine) -> String {
        switch format {
        case .pretty: line.pretty(colour: colour)
        case .json: line.json(runID: runID, version: OpenWorkVersion.current, pid: getpid())
        }
    }

    /// Forwards one output line of a child process, tagged with its component: an OpenTelemetry record passes
    /// through unchanged (in either format), anything else becomes a record of ours.
    public func forward(childLine: String, component: String) {
        if LogLine.isOpenTelemetryRecord(childLine) {
            if let records {
                records(LogLine(openTelemetryRecord: childLine, component: component, now: Self.now()))
            } else {
                write(childLine)
            }
            return
        }
        let level = LogLine.level(ofChildLine: childLine)
        guard level >= self.level else { return }
        emit(LogLine(timeUnixNano: Self.now(), level: level, body: childLine, component: component))
    }

    /// Hands a record to ``records`` when set, else writes it in this format.
    public func emit(_ line: LogLine) {
        if let records {
            records(line)
        } else {
            write(render(line))
        }
    }

    /// Now, in Unix nanoseconds (the time of a record).
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// The swift-log handler of every openwork process: pretty lines or OpenTelemetry JSON lines on stderr.
///
/// The logger's label names the component (`openwork.daemon` → `daemon`); metadata become attributes.
public struct OpenWorkLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let component: String
    public let settings: LogSettings

    public init(label: String, settings: LogSettings) {
        self.component = label.hasPrefix("openwork.") ? String(label.dropFirst("openwork.".count)) : label
        self.settings = settings
        self.logLevel = settings.level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = LogLine(
            timeUnixNano: LogSettings.now(), level: event.level, body: event.message.description,
            component: component, attributes: LogLine.attributes(merged))
        settings.emit(line)
    }
}
