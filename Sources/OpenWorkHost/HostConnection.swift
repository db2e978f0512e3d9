public import OpenWorkJSON
import OpenWorkSystem

/// How to reach a running host: what `openwork start` prints (pairing), `--json` prints, and `host.status`
/// reports. The anchor's 0.18 shapes; secrets appear only in ``json(includeSecrets:)`` with `true` and in the
/// pretty text with `showSecrets`.
public struct HostConnection: Sendable, Equatable {
    public var runID: String
    public var workspace: String
    public var approvalMode: String
    public var approvalTimeoutMs: Int64?
    public var readOnly: Bool
    public var opencodeURL: String
    public var opencodePort: Int
    public var opencodeVersion: String?
    public var hotReload: HostHotReload
    public var openworkURL: String
    /// The URL to give others: the LAN address with `--remote-access`, else ``openworkURL``.
    public var openworkConnectURL: String
    public var openworkHost: String
    public var openworkPort: Int
    public var openworkVersion: String?
    public var secrets: HostSecrets
    public var ownerToken: String?
    public var routerURL: String?
    /// `{backend, reason, …}` of ``HostSandbox/json``.
    public var sandbox: JSONValue

    public init(
        runID: String,
        workspace: String,
        approvalMode: String,
        approvalTimeoutMs: Int64?,
        readOnly: Bool,
        opencodeURL: String,
        opencodePort: Int,
        opencodeVersion: String?,
        hotReload: HostHotReload,
        openworkURL: String,
        openworkConnectURL: String,
        openworkHost: String,
        openworkPort: Int,
        openworkVersion: String?,
        secrets: HostSecrets,
        ownerToken: String?,
        routerURL: String?,
        sandbox: JSONValue = ["backend": "none", "reason": "sandbox off (--sandbox none)"]
    ) {
        self.runID = runID
        self.workspace = workspace
        self.approvalMode = approvalMode
        self.approvalTimeoutMs = approvalTimeoutMs
        self.readOnly = readOnly
        self.opencodeURL = opencodeURL
        self.opencodePort = opencodePort
        self.opencodeVersion = opencodeVersion
        self.hotReload = hotReload
        self.openworkURL = openworkURL
        self.openworkConnectURL = openworkConnectURL
        self.openworkHost = openworkHost
        self.openworkPort = openworkPort
        self.openworkVersion = openworkVersion
        self.secrets = secrets
        self.ownerToken = ownerToken
        self.routerURL = routerURL
        self.sandbox = sandbox
    }

    /// opencode reached through openwork-server, as remote clients do.
    public var opencodeConnectURL: String { openworkConnectURL + "/opencode" }

    /// The anchor's `--json` object; with `includeSecrets: false` every credential is `null`.
    public func json(includeSecrets: Bool = true) -> JSONValue {
        func secret(_ value: String?) -> JSONValue { includeSecrets ? value.map(JSONValue.string) ?? .null : .null }
        return [
            "runId": .string(runID),
            "workspace": .string(workspace),
            "approval": [
                "mode": .string(approvalMode), "timeoutMs": approvalTimeoutMs.map(JSONValue.integer) ?? .null,
                "readOnly": .bool(readOnly),
            ],
            "opencode": [
                "baseUrl": .string(opencodeURL), "connectUrl": .string(opencodeConnectURL),
                "username": secret(secrets.opencodeUsername), "password": secret(secrets.opencodePassword),
                "bindHost": "127.0.0.1", "port": .integer(Int64(opencodePort)),
                "hotReload": [
                    "enabled": .bool(hotReload.enabled), "debounceMs": .integer(Int64(hotReload.debounceMs)),
                    "cooldownMs": .integer(Int64(hotReload.cooldownMs)),
                ],
                "version": opencodeVersion.map(JSONValue.string) ?? .null,
            ],
            "openwork": [
                "baseUrl": .string(openworkURL), "connectUrl": .string(openworkConnectURL),
                "host": .string(openworkHost), "port": .integer(Int64(openworkPort)),
                "collaboratorToken": secret(secrets.collaboratorToken), "ownerToken": secret(ownerToken),
                "token": secret(secrets.collaboratorToken), "hostToken": secret(secrets.hostToken),
                "version": openworkVersion.map(JSONValue.string) ?? .null,
            ],
            "router": routerURL.map { ["healthUrl": .string($0)] } ?? .null,
            "diagnostics": ["cliVersion": .string(OpenWorkVersion.current)],
            "sandbox": sandbox,
        ]
    }

    /// `opencode attach` with the credentials in its environment; `[REDACTED]` in place of the password unless
    /// `showSecrets`.
    public func attachCommand(showSecrets: Bool) -> String {
        let password = showSecrets ? secrets.opencodePassword : Redactor.mask
        return "OPENCODE_SERVER_USERNAME=\(secrets.opencodeUsername) OPENCODE_SERVER_PASSWORD=\(password) "
            + "opencode attach \(opencodeURL) --dir \(Self.shellQuoted(workspace))"
    }

    /// The anchor's pairing text (secrets withheld), or with `showSecrets` the values themselves.
    public func pairingLines(showSecrets: Bool) -> [String] {
        func issued(_ label: String, _ value: String?) -> String {
            showSecrets ? "\(label): \(value ?? "none")" : "\(label): issued (withheld from stdout)"
        }
        var lines = [
            "OpenWork orchestrator running",
            "Run ID: \(runID)",
            "Workspace: \(workspace)",
            "OpenCode: \(opencodeURL)",
            "OpenCode connect URL: \(opencodeConnectURL)",
            showSecrets
                ? "OpenCode auth: \(secrets.opencodeUsername) / \(secrets.opencodePassword)"
                : "OpenCode auth: managed credentials configured (withheld from stdout)",
            "OpenWork server: \(openworkURL)",
            "OpenWork connect URL: \(openworkConnectURL)",
            issued("OpenWork collaborator token", secrets.collaboratorToken),
            issued("OpenWork owner token", ownerToken),
            issued("OpenWork host admin token", secrets.hostToken),
        ]
        if let routerURL { lines.append("opencode-router health: \(routerURL)") }
        if let backend = sandbox["backend"]?.stringValue, backend != "none" {
            lines.append("Sandbox: \(backend) (\(sandbox["reason"]?.stringValue ?? ""))")
        }
        lines.append("Attach: \(attachCommand(showSecrets: showSecrets))")
        if !showSecrets {
            lines.append("Use --json only when you explicitly need raw credentials in command output.")
        }
        return lines
    }

    static func shellQuoted(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "/._-+:@".contains($0) }
        return plain ? text : "'" + text.replacingAll("'", with: "'\\''") + "'"
    }
}

/// The hot-reload settings as the pairing reports them (they take effect with the instance lifecycle).
public struct HostHotReload: Sendable, Equatable {
    public var enabled: Bool
    public var debounceMs: Int
    public var cooldownMs: Int

    public init(enabled: Bool, debounceMs: Int, cooldownMs: Int) {
        self.enabled = enabled
        self.debounceMs = debounceMs
        self.cooldownMs = cooldownMs
    }
}
