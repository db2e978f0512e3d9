import OpenWorkLogging
public import OpenWorkSystem

/// Where sidecars come from and where they are kept: the orchestrator's flags, then its `OPENWORK_*`
/// variables, then the defaults (precedence: flag, environment, default).
public struct SidecarSettings: Sendable {
    /// The flags as given on the command line (`nil` when absent).
    public struct Flags: Sendable {
        public var sidecarDir: String?
        public var sidecarBaseURL: String?
        public var sidecarManifest: String?
        public var sidecarSource: String?
        public var opencodeSource: String?
        public var allowExternal: Bool?
        public var binaries: [SidecarName: String] = [:]

        public init() {}
    }

    /// `<sidecar-dir>`: downloads are cached as `<sidecar-dir>/<version>/<target>/<asset>`.
    public var directory: String
    public var baseURL: String
    public var manifestLocation: String
    public var source: SidecarSource
    /// Per-sidecar sources that override ``source`` (`--opencode-source`).
    public var sources: [SidecarName: SidecarSource] = [:]
    public var allowExternal: Bool
    public var explicitPaths: [SidecarName: String] = [:]
    /// The directory holding the bundled binaries and their `versions.json` (the executable's directory).
    public var bundleDirectory: String?
    /// PATH lookup and the environment `--version` runs with.
    public var environment: [String: String]
    /// How long connecting to the manifest or asset server may take, name resolution included (the HTTP client
    /// retries within it). Short, so an offline machine learns within seconds that the manifest is unreachable.
    public var connectTimeout: Duration = .seconds(2)
    public var manifestTimeout: Duration = .seconds(30)
    public var downloadTimeout: Duration = .seconds(600)
    /// How long a resolution waits for another one holding the same sidecar's install lock.
    public var lockTimeout: Duration = .seconds(600)
    public var versionTimeout: Duration = .seconds(10)

    public init(
        directory: String, baseURL: String, manifestLocation: String, source: SidecarSource = .auto,
        allowExternal: Bool = false, bundleDirectory: String? = nil, environment: [String: String] = [:]
    ) {
        self.directory = directory
        self.baseURL = baseURL
        self.manifestLocation = manifestLocation
        self.source = source
        self.allowExternal = allowExternal
        self.bundleDirectory = bundleDirectory
        self.environment = environment
    }

    /// The source for one sidecar: its own override, else an explicit binary means `external` for opencode
    /// (`--opencode-bin` is the external source), else the global one.
    public func source(for name: SidecarName) -> SidecarSource {
        if let own = sources[name] { return own }
        if source == .auto, explicitPaths[name] != nil { return .external }
        return source
    }

    /// The orchestrator release whose sidecars (opencode, openwork-server) this openwork is compatible with:
    /// its manifest is the default. Our own version names no upstream release, so it is never used here.
    public static let compatibleOrchestratorRelease = "openwork-orchestrator-v0.18.0"

    /// `https://github.com/different-ai/openwork/releases/download/<release>`.
    public static func defaultBaseURL(release: String = compatibleOrchestratorRelease) -> String {
        "https://github.com/different-ai/openwork/releases/download/\(release)"
    }

    /// Builds the settings from flags and environment. Invalid values are `invalid_setting` errors naming the
    /// flag or variable.
    public static func resolve(
        _ flags: Flags, environment: [String: String], dataDirectory: String, bundleDirectory: String?,
        release: String = compatibleOrchestratorRelease
    ) throws(OpenWorkError) -> SidecarSettings {
        func value(_ flag: String?, _ variable: String) -> String? {
            if let flag, !flag.isEmpty { return flag }
            if let text = environment[variable], !text.isEmpty { return text }
            return nil
        }
        func source(_ flag: String?, _ flagName: String, _ variable: String) throws(OpenWorkError) -> SidecarSource? {
            guard let text = value(flag, variable) else { return nil }
            guard let source = SidecarSource(rawValue: text.lowercased()) else {
                throw OpenWorkError(
                    .invalidSetting,
                    "\(flag != nil ? flagName : variable) must be auto, bundled, downloaded or external, not \(text)")
            }
            return source
        }
        let allow = try Setting.boolean(
            flag: flags.allowExternal, variable: "OPENWORK_ALLOW_EXTERNAL", environment: environment, default: false)
        let base = value(flags.sidecarBaseURL, "OPENWORK_SIDECAR_BASE_URL") ?? defaultBaseURL(release: release)
        let trimmedBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        let manifest =
            value(flags.sidecarManifest, "OPENWORK_SIDECAR_MANIFEST_URL")
            ?? trimmedBase + "/openwork-orchestrator-sidecars.json"
        var settings = SidecarSettings(
            directory: value(flags.sidecarDir, "OPENWORK_SIDECAR_DIR") ?? dataDirectory + "/sidecars",
            baseURL: trimmedBase, manifestLocation: manifest,
            source: try source(flags.sidecarSource, "--sidecar-source", "OPENWORK_SIDECAR_SOURCE") ?? .auto,
            allowExternal: allow, bundleDirectory: bundleDirectory, environment: environment)
        if let opencode = try source(flags.opencodeSource, "--opencode-source", "OPENWORK_OPENCODE_SOURCE") {
            settings.sources[.opencode] = opencode
        }
        for name in SidecarName.allCases {
            if let path = value(flags.binaries[name], name.binVariable) { settings.explicitPaths[name] = path }
        }
        return settings
    }
}
