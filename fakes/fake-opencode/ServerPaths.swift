/// The global paths opencode reports on `GET /path`, derived from `HOME` and the XDG variables.
struct ServerPaths: Equatable, Sendable {
    var home: String
    var state: String
    var config: String

    init(environment: [String: String]) {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        func xdg(_ name: String, _ fallback: String) -> String {
            let base = environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? (home == "/" ? "" : home) + fallback
            return base + "/opencode"
        }
        self.home = home
        self.state = xdg("XDG_STATE_HOME", "/.local/state")
        self.config = xdg("XDG_CONFIG_HOME", "/.config")
    }
}
