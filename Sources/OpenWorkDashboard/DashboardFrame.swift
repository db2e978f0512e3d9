import Logging
import OpenWorkLogging

/// Draws a ``DashboardModel`` as a ``Screen`` of its size: header, tabs, the current view, footer. Pure: the
/// times come from the caller (`unixMillis` for uptimes, `monotonic` for toasts).
///
/// Any size is drawn without overflowing: a narrow terminal loses the service table's right-hand columns and
/// the log lines' timestamps, a short one loses the body's last lines; below 1×1 nothing is drawn.
public enum DashboardFrame {
    public static func render(_ model: DashboardModel, unixMillis: Int64, monotonic: UInt64) -> Screen {
        let width = max(0, model.width)
        let height = max(0, model.height)
        var lines: [[Span]] = []
        lines.append(headerLine(model, width: width))
        lines.append(tabsLine(model, width: width))
        let bodyHeight = max(0, height - 3)
        var body: [[Span]]
        switch model.view {
        case .overview: body = overview(model, width: width, unixMillis: unixMillis)
        case .logs: body = logs(model, width: width)
        case .help: body = help(width: width)
        }
        body = Array(body.prefix(bodyHeight))
        while body.count < bodyHeight { body.append([]) }
        lines += body
        lines.append(footerLine(model, width: width, monotonic: monotonic))
        // A terminal shorter than the chrome keeps the header first, then the footer.
        if lines.count > height {
            lines =
                height >= 2 ? Array(lines.prefix(height - 1)) + [lines[lines.count - 1]] : Array(lines.prefix(height))
        }
        return Screen(width: width, height: height, lines: lines.map { fit($0, width: width) })
    }

    // MARK: Chrome

    static func headerLine(_ model: DashboardModel, width: Int) -> [Span] {
        let header = model.header
        let fixed = " \(header.name) \(header.version)  run \(header.runID)  "
        let room = width - TextWidth.of(fixed)
        let workspace = room >= 8 ? TextWidth.truncateLeading(header.workspace, to: room - 1) : ""
        let text = TextWidth.pad(fixed + workspace, to: width)
        return [Span(text, Style(bold: true, reverse: true))]
    }

    static func tabsLine(_ model: DashboardModel, width: Int) -> [Span] {
        var spans: [Span] = [Span(" ")]
        for view in DashboardModel.View.allCases {
            let key = view == .overview ? "o" : view == .logs ? "l" : "h"
            spans.append(
                view == model.view
                    ? Span(" \(view.rawValue) ", Style(bold: true, reverse: true))
                    : Span(" \(view.rawValue) ", .plain))
            spans.append(Span("(\(key)) ", .dim))
        }
        let used = spans.reduce(0) { $0 + TextWidth.of($1.text) }
        let status = phaseText(model)
        let room = width - used - 1
        if room >= TextWidth.of(status.text) {
            spans.append(Span(String(repeating: " ", count: room - TextWidth.of(status.text))))
            spans.append(status)
        }
        return spans
    }

    static func phaseText(_ model: DashboardModel) -> Span {
        switch model.phase {
        case .starting: Span("Starting", Style(colour: .yellow, bold: true))
        case .stopping: Span("Stopping", Style(colour: .yellow, bold: true))
        case .detaching: Span("Detaching", Style(colour: .yellow, bold: true))
        case .failed: Span("Failed", Style(colour: .red, bold: true))
        case .running:
            switch model.health {
            case .allGreen: Span(model.health.rawValue, Style(colour: .green, bold: true))
            case .starting: Span(model.health.rawValue, Style(colour: .yellow, bold: true))
            case .degraded, .stopped: Span(model.health.rawValue, Style(colour: .red, bold: true))
            }
        }
    }

    static func footerLine(_ model: DashboardModel, width: Int, monotonic: UInt64) -> [Span] {
        if let draft = model.searchDraft {
            return [
                Span(" /" + draft, .bold), Span("_", Style(reverse: true)), Span("  Enter search  Esc cancel", .dim),
            ]
        }
        if let toast = model.toast(at: monotonic) {
            return [Span(" " + toast, Style(colour: .cyan, bold: true))]
        }
        let keys: [(String, String)]
        switch model.view {
        case .overview:
            keys = [
                ("q", "quit"), ("d", "detach"), ("l", "logs"), ("h", "help"), ("j/k", "select"), ("r", "restart"),
                ("s", model.secretsRevealed ? "hide secrets" : "show secrets"), ("c", "copy attach"),
            ]
        case .logs:
            keys = [
                ("q", "quit"), ("o", "overview"), ("f", model.follow ? "unfollow" : "follow"), ("s", "service"),
                ("e", "level"), ("/", "search"), ("j/k PgUp/PgDn", "scroll"), ("h", "help"),
            ]
        case .help:
            keys = [("q", "quit"), ("o", "overview"), ("l", "logs")]
        }
        var spans: [Span] = []
        for (key, action) in keys {
            spans.append(Span(" " + key, .bold))
            spans.append(Span(" " + action + " ", .dim))
        }
        return spans
    }

    // MARK: Overview

    /// The service table's columns, left to right; a narrow terminal drops them from the right.
    static let columns: [(title: String, width: Int)] = [
        ("SERVICE", 17), ("STATE", 12), ("PID", 9), ("PORT", 7), ("UPTIME", 10), ("RESTARTS", 10), ("LAST EXIT", 12),
    ]

    static func overview(_ model: DashboardModel, width: Int, unixMillis: Int64) -> [[Span]] {
        // The service and its state always; the other columns while they fit.
        var used = 2 + columns[0].width + columns[1].width
        var shown = 2
        while shown < columns.count, used + columns[shown].width <= width {
            used += columns[shown].width
            shown += 1
        }
        var lines: [[Span]] = [[]]
        lines.append(
            [Span("  ")] + columns.prefix(shown).map { Span(TextWidth.pad($0.title, to: $0.width), .bold) })
        for (index, service) in model.services.enumerated() {
            let selected = index == model.selectedService
            let cells: [Span] = [
                Span(TextWidth.pad(service.name, to: columns[0].width), selected ? .reverse : .plain),
                Span(TextWidth.pad(service.state.rawValue, to: columns[1].width), stateStyle(service.state)),
                Span(TextWidth.pad(service.pid.map(String.init) ?? "-", to: columns[2].width)),
                Span(TextWidth.pad(service.port.map(String.init) ?? "-", to: columns[3].width)),
                Span(TextWidth.pad(uptime(service, unixMillis: unixMillis), to: columns[4].width)),
                Span(TextWidth.pad(String(service.restarts), to: columns[5].width)),
                Span(TextWidth.pad(service.lastExit ?? "-", to: columns[6].width)),
            ]
            lines.append([Span(selected ? "> " : "  ", .bold)] + cells.prefix(shown))
        }
        if model.services.isEmpty { lines.append([Span("  (no service has started yet)", .dim)]) }
        lines.append([])
        lines.append([Span("  Health: ", .bold), healthSpan(model)])
        lines.append([])
        guard !model.connection.isEmpty else {
            lines.append([Span("  Connection details appear once every service is ready.", .dim)])
            return lines
        }
        lines.append([
            Span("  Connection", .bold),
            Span(model.secretsRevealed ? "  (secrets shown: s hides them)" : "  (secrets hidden: s shows them)", .dim),
        ])
        let labelWidth = min(22, (model.connection.map { TextWidth.of($0.label) }.max() ?? 0) + 2)
        let valueWidth = max(8, width - 4 - labelWidth)
        for entry in model.connection {
            let value = model.secretsRevealed ? entry.value : (entry.masked ?? entry.value)
            let secret = entry.masked != nil && !model.secretsRevealed
            for (row, chunk) in wrap(value, to: valueWidth).enumerated() {
                let label = row == 0 ? entry.label : ""
                lines.append([
                    Span("    " + TextWidth.pad(label, to: labelWidth), .dim),
                    Span(chunk, secret ? .dim : .plain),
                ])
            }
        }
        return lines
    }

    static func healthSpan(_ model: DashboardModel) -> Span {
        let health = model.health
        let style: Style =
            switch health {
            case .allGreen: Style(colour: .green, bold: true)
            case .starting: Style(colour: .yellow, bold: true)
            case .degraded, .stopped: Style(colour: .red, bold: true)
            }
        return Span(health.rawValue, style)
    }

    static func stateStyle(_ state: ServiceState) -> Style {
        switch state {
        case .healthy: Style(colour: .green, bold: true)
        case .running: Style(colour: .cyan)
        case .starting, .restarting: Style(colour: .yellow)
        case .stopped: .dim
        case .failed: Style(colour: .red, bold: true)
        }
    }

    /// `1h02m`, `3m05s`, `42s`; `-` for a service without a live child.
    static func uptime(_ service: ServiceRow, unixMillis: Int64) -> String {
        guard let startedAt = service.startedAt, service.pid != nil,
            [.running, .healthy].contains(service.state)
        else { return "-" }
        let seconds = max(0, (unixMillis - startedAt) / 1_000)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        if seconds >= 86_400 { return "\(seconds / 86_400)d\(two(seconds % 86_400 / 3_600))h" }
        if seconds >= 3_600 { return "\(seconds / 3_600)h\(two(seconds % 3_600 / 60))m" }
        if seconds >= 60 { return "\(seconds / 60)m\(two(seconds % 60))s" }
        return "\(seconds)s"
    }

    /// `text` in lines of at most `columns` columns, broken between words where it can (a word longer than a
    /// line is split): the attach command wraps rather than being cut.
    static func wrap(_ text: String, to columns: Int) -> [String] {
        guard columns > 0 else { return [text] }
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let joined = current.isEmpty ? word : current + " " + word
            if TextWidth.of(joined) <= columns {
                current = joined
                continue
            }
            if !current.isEmpty { lines.append(current) }
            current = ""
            var rest = word
            while TextWidth.of(rest) > columns {
                var piece = ""
                var used = 0
                while let character = rest.first, used + TextWidth.of(character) <= columns {
                    piece.append(character)
                    used += TextWidth.of(character)
                    rest.removeFirst()
                }
                if piece.isEmpty { break }
                lines.append(piece)
            }
            current = rest
        }
        lines.append(current)
        return lines
    }

    // MARK: Logs

    static func logs(_ model: DashboardModel, width: Int) -> [[Span]] {
        let window = model.logWindow()
        var status: [Span] = [
            Span(" follow ", .dim), Span(model.follow ? "on" : "off", model.follow ? .bold : Style(colour: .yellow)),
            Span("  service ", .dim), Span(model.serviceFilter ?? "all", .bold),
            Span("  level ", .dim), Span(model.levelFilter.rawValue, .bold),
        ]
        if let search = model.search { status += [Span("  search ", .dim), Span("\"\(search)\"", .bold)] }
        let range =
            window.total == 0
            ? "no lines" : "lines \(window.first + 1)-\(window.first + window.lines.count) of \(window.total)"
        status.append(Span("  " + range, .dim))
        var lines: [[Span]] = [status]
        let showTime = width >= 70
        for (_, line) in window.lines {
            var spans: [Span] = [Span(" ")]
            if showTime { spans.append(Span(clockTime(line.timeUnixNano) + " ", .dim)) }
            spans.append(Span(TextWidth.pad(levelText(line.level), to: 6), levelStyle(line.level)))
            spans.append(Span(TextWidth.pad(line.component, to: width >= 60 ? 16 : 9), componentStyle(line.component)))
            spans.append(Span("| " + TextWidth.printable(line.message)))
            lines.append(spans)
        }
        if window.total == 0 {
            lines.append([Span(model.logs.count == 0 ? "  No log lines yet." : "  No line matches the filters.", .dim)])
        }
        return lines
    }

    /// `HH:MM:SS` (UTC) of a record.
    static func clockTime(_ nanoseconds: UInt64) -> String {
        let stamp = LogLine.timestamp(nanoseconds)
        guard let t = stamp.firstIndex(of: "T") else { return stamp }
        return String(stamp[stamp.index(after: t)...].prefix(8))
    }

    static func levelText(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "FATAL"
        }
    }

    static func levelStyle(_ level: Logger.Level) -> Style {
        switch level {
        case .trace, .debug: .dim
        case .info, .notice: .plain
        case .warning: Style(colour: .yellow, bold: true)
        case .error, .critical: Style(colour: .red, bold: true)
        }
    }

    static func componentStyle(_ component: String) -> Style {
        switch component {
        case "opencode": Style(colour: .cyan)
        case "openwork-server": Style(colour: .magenta)
        case "opencode-router": Style(colour: .yellow)
        default: Style(colour: .blue)
        }
    }

    // MARK: Help

    /// Every key, by view.
    public static let keys: [(section: String, keys: [(String, String)])] = [
        (
            "Everywhere",
            [
                ("q, Ctrl-C", "quit: stop every service and exit"),
                ("d", "detach: hand the services to the daemon (as --detach) and exit"),
                ("o, b", "Overview"), ("l", "Logs"), ("h, ?", "this help"), ("Tab", "next tab"),
                ("c", "copy the attach command (OSC 52, and a clipboard tool when one exists)"),
            ]
        ),
        (
            "Overview",
            [
                ("Up/Down, j/k", "select a service"), ("r", "restart the selected service"),
                ("s", "show or hide the secrets"),
            ]
        ),
        (
            "Logs",
            [
                ("Up/Down, j/k", "scroll a line"), ("PgUp/PgDn", "scroll a page"),
                ("g/Home, G/End", "oldest, newest (and follow)"), ("f", "follow new lines on/off"),
                ("s", "service filter: all, each service, openwork"), ("e", "level filter: all, info, warning, error"),
                ("/", "search (Enter applies, Esc clears)"),
            ]
        ),
    ]

    static func help(width: Int) -> [[Span]] {
        var lines: [[Span]] = [[]]
        for (section, keys) in keys {
            lines.append([Span("  " + section, .bold)])
            for (key, action) in keys {
                lines.append([Span("    " + TextWidth.pad(key, to: 16), Style(colour: .cyan)), Span(action)])
            }
            lines.append([])
        }
        return lines
    }

    // MARK: Fitting

    /// The spans of one line cut to `width` columns, control characters made printable.
    static func fit(_ spans: [Span], width: Int) -> [Span] {
        var result: [Span] = []
        var used = 0
        for span in spans {
            guard used < width else { break }
            let text = TextWidth.printable(span.text)
            let room = width - used
            if TextWidth.of(text) <= room {
                result.append(Span(text, span.style))
                used += TextWidth.of(text)
            } else {
                let cut = TextWidth.truncate(text, to: room)
                result.append(Span(cut, span.style))
                used += TextWidth.of(cut)
                break
            }
        }
        return result
    }
}
