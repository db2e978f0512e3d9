/// The options of `opencode serve` (and the global ones it shares), with opencode's defaults.
struct ServeArguments: Equatable, Sendable {
    /// `--port`; 0 (the default) means "4096 when free, else any free port".
    var port = 0
    var hostname = "127.0.0.1"
    /// Whether `--hostname` was given: `--mdns` only moves the default hostname to 0.0.0.0.
    var hostnameGiven = false
    /// `--cors`, repeatable: origins allowed besides the built-in local ones.
    var cors: [String] = []
    var mdns = false
    var mdnsDomain = "opencode.local"
    var printLogs = false
    var logLevel: ServerLog.Level?
    var pure = false

    /// The hostname actually bound and echoed in the listening line.
    var effectiveHostname: String {
        mdns && !hostnameGiven ? "0.0.0.0" : hostname
    }
}
