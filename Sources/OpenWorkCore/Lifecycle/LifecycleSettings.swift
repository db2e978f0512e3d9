import OpenWorkLogging
public import OpenWorkSystem

/// How the engine manages opencode's per-directory instances: idle eviction, a cap on warm instances, and hot
/// reload when a workspace's configuration changes.
///
/// Resolved like every option: the flag, else the `OPENWORK_*` variable, else the default
/// (``resolve(_:environment:)``).
public struct LifecycleSettings: Sendable, Hashable {
    /// Dispose an instance unused for this long (`nil`: never). Default 15 min: see the README's "Instance
    /// lifecycle" (a cold instance costs its boot and its MCP servers' start on the next request; a user reading
    /// an answer or in a meeting should not pay that, an app that touched 50 workspaces once should not keep them).
    public var idleTTL: Duration? = LifecycleSettings.defaultIdleTTL
    /// Keep at most this many instances warm (`nil`: no cap), evicting the least recently used idle one.
    public var maxWarm: Int?
    /// Watch each warm workspace's configuration and reload its instance when it changes.
    public var hotReload = true
    /// Quiet time after the last change before a reload is considered.
    public var debounce: Duration = .milliseconds(700)
    /// Least time between two reloads of the same workspace.
    public var cooldown: Duration = .milliseconds(1_500)
    /// How long a reload waits for a busy instance before it is done anyway (with a warning).
    public var reloadDeferMax: Duration = .seconds(600)
    /// How changes are noticed: inotify when it can be used (else polling, per workspace), or always polling.
    public var watcher: Watcher = .automatic
    /// How often the engine looks at its instances (expired TTLs and leases, due reloads, file events).
    public var tick: Duration = .milliseconds(100)
    /// How often a polled workspace's files are looked at.
    public var pollInterval: Duration = .milliseconds(500)
    /// How long a busy instance is taken as busy before it is asked again.
    public var busyRecheck: Duration = .milliseconds(250)
    /// The most inotify watches the engine adds (directories, all workspaces together), well under the usual
    /// per-user limit (8192 on older kernels) so that the user's editors keep theirs; beyond it a workspace is
    /// polled.
    public var watchBudget = 4_096

    public static let defaultIdleTTL: Duration = .seconds(900)

    public enum Watcher: String, Sendable, Hashable {
        /// inotify on Linux; a workspace whose watches cannot be added (the limit is reached) is polled instead.
        case automatic = "auto"
        /// Every workspace is polled.
        case poll
    }

    public init() {}

    /// The flags of `openwork daemon run`, `openwork rpc` and host mode (`nil`: not given).
    public struct Flags: Sendable, Hashable {
        public var idleTTL: String?
        public var maxWarm: Int?
        public var hotReload: Bool?
        public var debounceMs: Int?
        public var cooldownMs: Int?
        public var reloadDeferMax: String?

        public init() {}
    }

    /// The flag, else `OPENWORK_INSTANCE_IDLE_TTL`, `OPENWORK_MAX_WARM_INSTANCES`, `OPENWORK_OPENCODE_HOT_RELOAD`,
    /// `…_DEBOUNCE_MS`, `…_COOLDOWN_MS`, `OPENWORK_RELOAD_DEFER_MAX`, `OPENWORK_OPENCODE_HOT_RELOAD_WATCHER`;
    /// else the default. A value out of range is `invalid_setting`.
    public static func resolve(_ flags: Flags, environment: [String: String]) throws(OpenWorkError) -> Self {
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func duration(_ flag: String?, _ option: String, _ name: String) throws(OpenWorkError) -> Duration?? {
            guard let text = flag ?? variable(name) else { return .none }
            guard let value = parseDuration(text) else {
                throw OpenWorkError(
                    .invalidSetting,
                    "\(flag != nil ? option : name) must be a duration such as 300s, 15m, 1h or 1500ms, got \"\(text)\""
                )
            }
            return .some(value == .zero ? nil : value)
        }
        func number(_ flag: Int?, _ option: String, _ name: String, _ range: ClosedRange<Int>)
            throws(OpenWorkError) -> Int?
        {
            try Setting.integer(flag: flag, option: option, variable: name, environment: environment, range: range)
        }
        var settings = Self()
        if let ttl = try duration(flags.idleTTL, "--instance-idle-ttl", "OPENWORK_INSTANCE_IDLE_TTL") {
            settings.idleTTL = ttl
        }
        if let cap = try number(flags.maxWarm, "--max-warm-instances", "OPENWORK_MAX_WARM_INSTANCES", 0...100_000) {
            settings.maxWarm = cap == 0 ? nil : cap
        }
        settings.hotReload = try Setting.boolean(
            flag: flags.hotReload, variable: "OPENWORK_OPENCODE_HOT_RELOAD", environment: environment, default: true)
        if let debounce = try number(
            flags.debounceMs, "--opencode-hot-reload-debounce-ms", "OPENWORK_OPENCODE_HOT_RELOAD_DEBOUNCE_MS",
            0...600_000)
        {
            settings.debounce = .milliseconds(debounce)
        }
        if let cooldown = try number(
            flags.cooldownMs, "--opencode-hot-reload-cooldown-ms", "OPENWORK_OPENCODE_HOT_RELOAD_COOLDOWN_MS",
            0...600_000)
        {
            settings.cooldown = .milliseconds(cooldown)
        }
        if let bound = try duration(flags.reloadDeferMax, "--reload-defer-max", "OPENWORK_RELOAD_DEFER_MAX") {
            settings.reloadDeferMax = bound ?? .zero
        }
        if let text = variable("OPENWORK_OPENCODE_HOT_RELOAD_WATCHER") {
            guard let watcher = Watcher(rawValue: text.lowercased()) else {
                throw OpenWorkError(
                    .invalidSetting, "OPENWORK_OPENCODE_HOT_RELOAD_WATCHER must be auto or poll, got \"\(text)\"")
            }
            settings.watcher = watcher
        }
        return settings
    }

    /// `300`, `300s`, `15m`, `1h`, `1500ms` (a bare number is seconds); `nil` when it is none of them.
    public static func parseDuration(_ text: String) -> Duration? {
        let text = text.trimmingWhitespace.lowercased()
        let units: [(String, Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Int64(text.dropLast(suffix.count)), value >= 0, value <= 1_000_000_000_000 / scale
            else { return nil }
            return .milliseconds(value * scale)
        }
        guard let seconds = Int64(text), seconds >= 0, seconds <= 1_000_000 else { return nil }
        return .seconds(seconds)
    }
}
