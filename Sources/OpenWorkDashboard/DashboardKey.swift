/// A key as the dashboard reads it, whatever the terminal sent.
public enum DashboardKey: Sendable, Equatable {
    case character(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, backspace, tab
    /// Ctrl-C when the terminal delivers it as a key (normally it is SIGINT).
    case interrupt
}

/// What a key asks of the run, beyond the dashboard's own state (carried out by whoever runs the services).
public enum DashboardCommand: Sendable, Equatable {
    /// Stop every service and exit 0.
    case quit
    /// Hand the services to the daemon (as `--detach`), print the detach summary, exit 0.
    case detach
    /// Restart one service.
    case restart(service: String)
    /// Put `text` on the clipboard (OSC 52, and a clipboard tool when one exists).
    case copy(text: String)
}
