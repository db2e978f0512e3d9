public import OpenWorkCore
import OpenWorkJSON
public import OpenWorkLogging
public import OpenWorkSandbox
public import OpenWorkSystem

/// Everything host mode runs with, resolved from the flags and the environment (a flag wins, then the variable,
/// then the default) with the anchor's names, and the secrets of this run. Pure: the environment, the working
/// directory and the secrets are given.
public struct HostSettings: Sendable {
    /// What the command line said; `nil`: not given.
    public struct Flags: Sendable {
        public var workspace: String?
        public var approval: String?
        public var approvalTimeoutMs: Int?
        public var readOnly: Bool?
        public var cors: [String] = []
        public var opencodePort: Int?
        public var openworkPort: Int?
        public var remoteAccess: Bool?
        public var opencodeLogLevel: String?
        public var runID: String?
        public var startupTimeoutSeconds: Int?
        public var opencodeRouter: Bool?
        public var opencodeRouterRequired: Bool?
        public var opencodeRouterBin: String?
        public var exitOnChildFailure: Bool?
        public var hotReload: Bool?
        public var hotReloadDebounceMs: Int?
        public var hotReloadCooldownMs: Int?
        public var sandbox: String?
        public var sandboxImage: String?
        public var sandboxPersistDir: String?
        public var sandboxMounts: [String] = []
        /// The allowlist file (`host.start`'s, as the caller resolved it); `nil`: `OPENWORK_SANDBOX_MOUNT_ALLOWLIST`.
        public var sandboxMountAllowlist: String?

        public init() {}
    }

    /// Whether opencode-router runs, and whether host mode may go on without it.
    public enum Router: String, Sendable {
        case off, optional, required
    }

    public var workspace: String
    public var runID: String
    public var approvals: ApprovalSettings
    public var readOnly: Bool
    /// Origins allowed by opencode and openwork-server (`*` when none is given, as the anchor).
    public var cors: [String]
    /// 0: a free port chosen by the child itself (no probe-then-release race).
    public var opencodePort: Int
    public var openworkPort: Int
    /// Only then does openwork-server bind beyond loopback.
    public var remoteAccess: Bool
    public var opencodeLogLevel: String?
    /// How long each service may take to become ready (60 s: real opencode cold starts take that long).
    public var startupTimeout: Duration
    public var router: Router
    /// The anchor's behaviour: any child that exits ends the run (ours restarts it).
    public var exitOnChildFailure: Bool
    public var hotReload: HostHotReload
    public var secrets: HostSecrets
    /// `--sandbox*`, `OPENWORK_SANDBOX*`: what is asked (``HostSandbox/prepare`` decides).
    public var sandbox: SandboxSettings = SandboxSettings()

    public static let defaultStartupTimeout: Duration = .seconds(60)

    public static func resolve(
        _ flags: Flags, environment: [String: String], workingDirectory: String, secrets: HostSecrets = HostSecrets()
    ) throws(OpenWorkError) -> HostSettings {
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func boolean(_ flag: Bool?, _ name: String, default value: Bool) throws(OpenWorkError) -> Bool {
            if let flag { return flag }
            guard let text = variable(name) else { return value }
            switch text.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw OpenWorkError(.invalidSetting, "\(name) must be true or false, not \"\(text)\"")
            }
        }
        func number(_ flag: Int?, _ option: String, _ name: String, _ range: ClosedRange<Int>, default value: Int)
            throws(OpenWorkError) -> Int
        {
            try Setting.integer(flag: flag, option: option, variable: name, environment: environment, range: range)
                ?? value
        }

        var secrets = secrets
        // The anchor's variables for opencode's credentials (its flags are refused: argv is visible to all).
        if let username = variable("OPENWORK_OPENCODE_USERNAME") { secrets.opencodeUsername = username }
        if let password = variable("OPENWORK_OPENCODE_PASSWORD") { secrets.opencodePassword = password }
        let rawWorkspace = flags.workspace ?? variable("OPENWORK_WORKSPACE") ?? workingDirectory
        let workspace: String
        do {
            workspace = try PathNormalizer.normalize(
                rawWorkspace, relativeTo: workingDirectory, home: variable("HOME"))
        } catch {
            throw OpenWorkError(
                .invalidPath, "the workspace must be a path, not \"\(rawWorkspace)\"",
                details: ["path": .string(rawWorkspace)])
        }
        var approvals = try ApprovalSettings.resolve(
            mode: flags.approval, timeoutMs: flags.approvalTimeoutMs, environment: environment)
        if flags.approvalTimeoutMs == nil, variable("OPENWORK_APPROVAL_TIMEOUT_MS") == nil {
            approvals.timeout = .milliseconds(30_000)  // the anchor's host-mode default
        }
        let routerAsked = try boolean(flags.opencodeRouter, "OPENWORK_OPENCODE_ROUTER", default: false)
        let routerRequired = try boolean(
            flags.opencodeRouterRequired, "OPENWORK_OPENCODE_ROUTER_REQUIRED", default: false)
        let router: Router =
            routerRequired ? .required : (routerAsked || flags.opencodeRouterBin != nil ? .optional : .off)
        var cors = flags.cors
        if cors.isEmpty, let text = variable("OPENWORK_CORS_ORIGINS") {
            cors = text.split(separator: ",").map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
        }
        let startup = try number(
            flags.startupTimeoutSeconds, "--startup-timeout", "OPENWORK_STARTUP_TIMEOUT", 1...3_600, default: 60)
        var settings = HostSettings(
            workspace: workspace,
            runID: flags.runID ?? variable("OPENWORK_RUN_ID") ?? LogSettings.newRunID(),
            approvals: approvals,
            readOnly: try boolean(flags.readOnly, "OPENWORK_READ_ONLY", default: false),
            cors: cors.isEmpty ? ["*"] : cors,
            opencodePort: try number(
                flags.opencodePort, "--opencode-port", "OPENWORK_OPENCODE_PORT", 0...65_535, default: 0),
            openworkPort: try number(flags.openworkPort, "--openwork-port", "OPENWORK_PORT", 0...65_535, default: 0),
            remoteAccess: try boolean(flags.remoteAccess, "OPENWORK_REMOTE_ACCESS", default: false),
            opencodeLogLevel: flags.opencodeLogLevel ?? variable("OPENWORK_OPENCODE_LOG_LEVEL"),
            startupTimeout: .seconds(startup),
            router: router,
            exitOnChildFailure: try boolean(flags.exitOnChildFailure, "OPENWORK_EXIT_ON_CHILD_FAILURE", default: false),
            hotReload: HostHotReload(
                enabled: try boolean(flags.hotReload, "OPENWORK_OPENCODE_HOT_RELOAD", default: true),
                debounceMs: try number(
                    flags.hotReloadDebounceMs, "--opencode-hot-reload-debounce-ms",
                    "OPENWORK_OPENCODE_HOT_RELOAD_DEBOUNCE_MS", 0...600_000, default: 700),
                cooldownMs: try number(
                    flags.hotReloadCooldownMs, "--opencode-hot-reload-cooldown-ms",
                    "OPENWORK_OPENCODE_HOT_RELOAD_COOLDOWN_MS", 0...600_000, default: 1_500)
            ),
            secrets: secrets)
        settings.sandbox = try SandboxSettings.resolve(
            sandbox: flags.sandbox, image: flags.sandboxImage, persistDirectory: flags.sandboxPersistDir,
            mounts: flags.sandboxMounts, environment: environment)
        settings.sandbox.workingDirectory = workingDirectory
        if let allowlist = flags.sandboxMountAllowlist { settings.sandbox.allowlistPath = allowlist }
        return settings
    }

    /// openwork-server's bind address: loopback unless `--remote-access`.
    public var openworkHost: String { remoteAccess ? "0.0.0.0" : "127.0.0.1" }

    /// `OTEL_RESOURCE_ATTRIBUTES` for a child: the inherited pairs, then `service.name` and `service.instance.id`.
    public func otelAttributes(service: String, inherited: String?) -> String {
        let ours = "service.name=\(service),service.instance.id=\(runID)"
        guard let inherited, !inherited.isEmpty else { return ours }
        return inherited + "," + ours
    }
}

/// The credentials of one host-mode run: random, made once, never on argv. opencode's Basic credentials, the
/// collaborator token (client routes of openwork-server), the host token (its host routes), and the owner token
/// openwork-server mints once verified.
public struct HostSecrets: Sendable, Equatable {
    public var opencodeUsername: String
    public var opencodePassword: String
    public var collaboratorToken: String
    public var hostToken: String

    public init(
        opencodeUsername: String = "opencode", opencodePassword: String = OpenCodeService.randomSecret(),
        collaboratorToken: String = LogSettings.newRunID(), hostToken: String = LogSettings.newRunID()
    ) {
        self.opencodeUsername = opencodeUsername
        self.opencodePassword = opencodePassword
        self.collaboratorToken = collaboratorToken
        self.hostToken = hostToken
    }

    /// Every secret, for the ``Redactor``.
    public var all: [String] { [opencodePassword, collaboratorToken, hostToken] }
}
