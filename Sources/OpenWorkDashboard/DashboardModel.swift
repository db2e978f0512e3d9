import Logging
public import OpenWorkLogging

/// Everything the dashboard shows, as a value: the services, the logs, the connection, the view and its filters,
/// the selection. Updated by ``apply(_:)`` (what happens to the run) and ``handle(_:now:)`` (keys); drawn by
/// ``DashboardFrame``. No terminal, no clock of its own, no threads: every rule is unit-tested.
public struct DashboardModel: Sendable {
    /// The tabs, in the order the header shows them.
    public enum View: String, Sendable, CaseIterable {
        case overview = "Overview"
        case logs = "Logs"
        case help = "Help"
    }

    /// Where the run is.
    public enum Phase: Sendable, Equatable {
        case starting
        case running
        case stopping
        case detaching
        case failed(String)
    }

    /// The levels the Logs tab shows: everything, or a level and above. `e` cycles them.
    public enum LevelFilter: String, Sendable, CaseIterable {
        case all, info, warning, error

        func admits(_ level: Logger.Level) -> Bool {
            switch self {
            case .all: true
            case .info: level >= .info
            case .warning: level >= .warning
            case .error: level >= .error
            }
        }
    }

    /// One line of the connection details; a secret one shows ``masked`` until secrets are revealed.
    public struct ConnectionEntry: Sendable, Equatable {
        public var label: String
        public var value: String
        /// What is shown while secrets are hidden; nil for a value that is not secret.
        public var masked: String?

        public init(label: String, value: String, masked: String? = nil) {
            self.label = label
            self.value = value
            self.masked = masked
        }
    }

    /// The text that names the run in the header.
    public struct Header: Sendable, Equatable {
        public var name: String
        public var version: String
        public var runID: String
        public var workspace: String

        public init(name: String, version: String, runID: String, workspace: String) {
            self.name = name
            self.version = version
            self.runID = runID
            self.workspace = workspace
        }
    }

    /// A short message shown in the footer until ``until`` (monotonic nanoseconds).
    public struct Toast: Sendable, Equatable {
        public var text: String
        public var until: UInt64
    }

    /// What happens to the run, as the dashboard learns it.
    public enum Event: Sendable {
        case services([ServiceRow])
        case log(LogLine)
        case connection(entries: [ConnectionEntry], attachCommand: String)
        case phase(Phase)
        case resize(width: Int, height: Int)
        case toast(String, now: UInt64)
    }

    public static let logCapacity = 5_000
    /// How long a toast stays, in nanoseconds.
    public static let toastDuration: UInt64 = 3_000_000_000

    public var header: Header
    public var view: View = .overview
    public var phase: Phase = .starting
    public var services: [ServiceRow] = []
    public var selectedService = 0
    public var connection: [ConnectionEntry] = []
    /// The attach command with its credentials: what `c` copies.
    public var attachCommand: String?
    public var secretsRevealed = false
    public var logs = LogBuffer(capacity: DashboardModel.logCapacity)
    /// The Logs tab sticks to the newest line.
    public var follow = true
    /// With follow off: the sequence number of the newest line shown (the view's bottom).
    public var anchor: Int?
    /// nil: every service.
    public var serviceFilter: String?
    public var levelFilter = LevelFilter.all
    /// The committed search (case-insensitive substring); nil for none.
    public var search: String?
    /// The search being typed after `/`; nil when not typing.
    public var searchDraft: String?
    public var toast: Toast?
    public var width = 80
    public var height = 24

    public init(header: Header) {
        self.header = header
    }

    public var health: OverallHealth { OverallHealth(services) }

    // MARK: Events

    public mutating func apply(_ event: Event) {
        switch event {
        case .services(let rows):
            let selected = services.indices.contains(selectedService) ? services[selectedService].name : nil
            services = rows
            selectedService = selected.flatMap { name in rows.firstIndex { $0.name == name } } ?? 0
            if selectedService >= rows.count { selectedService = max(0, rows.count - 1) }
        case .log(let line):
            logs.append(line)
        case .connection(let entries, let attach):
            connection = entries
            attachCommand = attach
        case .phase(let phase):
            self.phase = phase
        case .resize(let width, let height):
            self.width = max(0, width)
            self.height = max(0, height)
        case .toast(let text, let now):
            show(text, now: now)
        }
    }

    mutating func show(_ text: String, now: UInt64) {
        toast = Toast(text: text, until: now + Self.toastDuration)
    }

    /// The toast to show at `now`, if one has not expired.
    public func toast(at now: UInt64) -> String? {
        guard let toast, now < toast.until else { return nil }
        return toast.text
    }

    // MARK: Logs

    /// The service filter's choices, in `s` order: every service, each service of the run, then openwork's own.
    public var serviceFilters: [String?] {
        var names = services.map(\.name)
        for name in ["opencode", "openwork-server"] where !names.contains(name) { names.append(name) }
        return [nil] + names.map(Optional.some) + ["openwork"]
    }

    /// The service a log record belongs to: its component for a service of the run, else `openwork`.
    public func service(of line: LogLine) -> String {
        let known = services.map(\.name) + ["opencode", "openwork-server", "opencode-router"]
        return known.contains(line.component) ? line.component : "openwork"
    }

    func admits(_ line: LogLine) -> Bool {
        guard levelFilter.admits(line.level) else { return false }
        if let serviceFilter, service(of: line) != serviceFilter { return false }
        if let search, !search.isEmpty {
            let needle = search.lowercased()
            return line.message.lowercased().contains(needle) || line.component.lowercased().contains(needle)
        }
        return true
    }

    /// The records the Logs tab shows with the current filters, oldest first.
    public var visibleLogs: [(sequence: Int, line: LogLine)] {
        logs.enumerated().filter { admits($0.line) }
    }

    /// How many log lines fit on the Logs tab (everything but the header, tabs, status line and footer).
    public var logRows: Int { max(1, height - 4) }

    /// The slice of ``visibleLogs`` on screen: the newest `logRows` when following, else those ending at the
    /// anchor (or the nearest older one still kept).
    public func logWindow() -> (lines: [(sequence: Int, line: LogLine)], total: Int, first: Int) {
        if serviceFilter == nil, levelFilter == .all, search == nil {
            // Every line shows: positions are the buffer's indices, nothing to filter (the common case, redrawn
            // up to 30 times a second under a flood of lines).
            let count = logs.count
            var end = count
            if !follow, let anchor { end = min(count, max(anchor - logs.firstSequence + 1, min(logRows, count))) }
            let start = max(0, end - logRows)
            return ((start..<end).map { (logs.firstSequence + $0, logs[$0]) }, count, start)
        }
        let visible = visibleLogs
        var end = visible.count
        if !follow, let anchor {
            end = visible.firstIndex { $0.sequence > anchor } ?? visible.count
            end = max(end, min(logRows, visible.count))
        }
        let start = max(0, end - logRows)
        return (Array(visible[start..<end]), visible.count, start)
    }
}
