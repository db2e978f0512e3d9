/// Whether host mode shows the dashboard or prints plain logs: the pure rule.
public enum DashboardChoice: Equatable, Sendable {
    case dashboard
    /// Plain logs; `reason` is said on stderr when the person asked for a dashboard that cannot be (nil when
    /// plain logs are simply what was asked for).
    case plain(reason: String?)

    /// `openwork start` in a terminal shows the dashboard; `serve`, `--no-tui`, `--json`, `--check`, a
    /// standard input or output that is not a terminal, or `TERM` unset or `dumb` print plain logs.
    public static func decide(
        command: String, noTUI: Bool, json: Bool, check: Bool, standardInputIsTerminal: Bool,
        standardOutputIsTerminal: Bool, term: String?
    ) -> DashboardChoice {
        guard command == "start", !noTUI, !json, !check else { return .plain(reason: nil) }
        guard standardOutputIsTerminal else { return .plain(reason: nil) }
        guard standardInputIsTerminal else {
            return .plain(reason: "standard input is not a terminal, so the dashboard could not read keys")
        }
        guard let term, !term.isEmpty, term != "dumb" else {
            return .plain(reason: nil)
        }
        return .dashboard
    }
}
