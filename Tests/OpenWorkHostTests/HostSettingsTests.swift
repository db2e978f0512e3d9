import OpenWorkCore
import OpenWorkHost
import OpenWorkJSON
import OpenWorkSystem
import Testing

@Suite("host mode: settings and pairing")
struct HostSettingsTests {
    /// Never used for a request here; one for the process (an HTTP client must be shut down before it is freed).
    static let http = OpenCodeClient.makeHTTPClient()

    static let secrets = HostSecrets(
        opencodeUsername: "opencode", opencodePassword: "pw-0123456789", collaboratorToken: "collab-0123456789",
        hostToken: "host-0123456789")

    @Test func defaultsFollowTheAnchor() throws {
        let settings = try HostSettings.resolve(
            .init(), environment: [:], workingDirectory: "/work/ws", secrets: Self.secrets)
        #expect(settings.workspace == "/work/ws")
        #expect(settings.approvals.mode == .manual)
        #expect(settings.approvals.timeout == .milliseconds(30_000))
        #expect(settings.cors == ["*"])
        #expect(settings.opencodePort == 0 && settings.openworkPort == 0)
        #expect(settings.openworkHost == "127.0.0.1")
        #expect(settings.startupTimeout == .seconds(60))
        #expect(settings.router == .off)
        #expect(settings.hotReload == HostHotReload(enabled: true, debounceMs: 700, cooldownMs: 1_500))
        #expect(!settings.exitOnChildFailure)
    }

    @Test func flagsWinOverVariablesWhichWinOverDefaults() throws {
        var flags = HostSettings.Flags()
        flags.workspace = "../other"
        flags.opencodePort = 4100
        flags.opencodeRouterRequired = true
        let environment = [
            "OPENWORK_OPENCODE_PORT": "4200", "OPENWORK_PORT": "8787", "OPENWORK_REMOTE_ACCESS": "yes",
            "OPENWORK_APPROVAL_MODE": "auto", "OPENWORK_CORS_ORIGINS": "http://a, http://b", "OPENWORK_RUN_ID": "run-1",
            "OPENWORK_OPENCODE_HOT_RELOAD": "0",
        ]
        let settings = try HostSettings.resolve(flags, environment: environment, workingDirectory: "/work/ws")
        #expect(settings.workspace == "/work/other")
        #expect(
            try HostSettings.resolve(
                .init(), environment: ["OPENWORK_WORKSPACE": "~/p/./q/", "HOME": "/home/u"], workingDirectory: "/"
            ).workspace == "/home/u/p/q", "~ expanded, then normalized")
        #expect(settings.opencodePort == 4100)
        #expect(settings.openworkPort == 8787)
        #expect(settings.openworkHost == "0.0.0.0")
        #expect(settings.approvals.mode == .auto)
        #expect(settings.cors == ["http://a", "http://b"])
        #expect(settings.runID == "run-1")
        #expect(settings.router == .required)
        #expect(!settings.hotReload.enabled)
    }

    @Test(arguments: [
        ["OPENWORK_OPENCODE_PORT": "70000"], ["OPENWORK_REMOTE_ACCESS": "maybe"], ["OPENWORK_STARTUP_TIMEOUT": "0"],
        ["OPENWORK_APPROVAL_MODE": "sometimes"], ["OPENWORK_WORKSPACE": "  "],
    ])
    func badVariablesAreRefusedNotIgnored(_ environment: [String: String]) {
        #expect(throws: OpenWorkError.self) {
            try HostSettings.resolve(.init(), environment: environment, workingDirectory: "/")
        }
    }

    @Test func openCodeGetsTheAnchorsArgvAndEnvironmentWithoutSecretsOnArgv() throws {
        var flags = HostSettings.Flags()
        flags.opencodeLogLevel = "DEBUG"
        flags.cors = ["http://x"]
        let settings = try HostSettings.resolve(
            flags, environment: ["OTEL_RESOURCE_ATTRIBUTES": "team=a"], workingDirectory: "/work/ws",
            secrets: Self.secrets)
        var opencode = OpenCodeService.Configuration(executable: "/bin/opencode", environment: [:])
        settings.configureOpenCode(&opencode, dataDirectory: "/data")
        let service = opencode.description(client: OpenCodeClient(http: Self.http))
        #expect(
            service.arguments == [
                "serve", "--hostname", "127.0.0.1", "--port", "0", "--log-level", "DEBUG", "--cors", "http://x",
            ])
        #expect(service.workingDirectory == "/work/ws")
        #expect(service.environment["OPENCODE_SERVER_PASSWORD"] == "pw-0123456789")
        #expect(service.environment["OPENCODE_CONFIG_DIR"] == "/data/opencode-config")
        #expect(service.environment["OPENWORK"] == "1")
        #expect(service.environment["OPENCODE_CLIENT"] == "openwork-orchestrator")
        #expect(service.startTimeout == .seconds(60))
        #expect(!service.arguments.contains { Self.secrets.all.contains($0) })
    }

    @Test func openworkServerGetsItsSecretsInTheEnvironmentOnly() throws {
        var flags = HostSettings.Flags()
        flags.readOnly = true
        let settings = try HostSettings.resolve(flags, environment: [:], workingDirectory: "/ws", secrets: Self.secrets)
        let server = OpenWorkServerService.Configuration(
            executable: "/bin/openwork-server", settings: settings, opencodeURL: "http://127.0.0.1:4096",
            environment: [:])
        #expect(
            server.arguments == [
                "--host", "127.0.0.1", "--port", "0", "--workspace", "/ws", "--approval", "manual",
                "--approval-timeout", "30000", "--read-only", "--opencode-base-url", "http://127.0.0.1:4096",
                "--opencode-directory", "/ws",
            ])
        let environment = server.childEnvironment
        #expect(environment["OPENWORK_TOKEN"] == "collab-0123456789")
        #expect(environment["OPENWORK_HOST_TOKEN"] == "host-0123456789")
        #expect(environment["OPENWORK_OPENCODE_PASSWORD"] == "pw-0123456789")
        #expect(environment["OTEL_RESOURCE_ATTRIBUTES"]?.contains("service.name=openwork-server") == true)
    }

    @Test func prettyPairingWithholdsEverySecretAndJSONHasThemAll() throws {
        let connection = HostConnection(
            runID: "run-1", workspace: "/ws", approvalMode: "manual", approvalTimeoutMs: 30_000, readOnly: false,
            opencodeURL: "http://127.0.0.1:4096", opencodePort: 4096, opencodeVersion: "1.18.33",
            hotReload: HostHotReload(enabled: true, debounceMs: 700, cooldownMs: 1_500),
            openworkURL: "http://127.0.0.1:8787", openworkConnectURL: "http://127.0.0.1:8787",
            openworkHost: "127.0.0.1",
            openworkPort: 8787, openworkVersion: "0.11.165", secrets: Self.secrets, ownerToken: "owner-0123456789",
            routerURL: nil)
        let pretty = connection.pairingLines(showSecrets: false).joined(separator: "\n")
        for secret in Self.secrets.all + ["owner-0123456789"] { #expect(!pretty.contains(secret)) }
        #expect(pretty.contains("OpenWork owner token: issued (withheld from stdout)"))
        #expect(pretty.contains("opencode attach http://127.0.0.1:4096 --dir /ws"))
        let json = connection.json()
        #expect(json["opencode"]?["password"] == "pw-0123456789")
        #expect(json["openwork"]?["ownerToken"] == "owner-0123456789")
        #expect(json["openwork"]?["hostToken"] == "host-0123456789")
        #expect(json["openwork"]?["collaboratorToken"] == "collab-0123456789")
        #expect(json["approval"] == ["mode": "manual", "timeoutMs": 30_000, "readOnly": false])
        #expect(connection.json(includeSecrets: false)["opencode"]?["password"] == JSONValue.null)
        let shown = connection.pairingLines(showSecrets: true).joined(separator: "\n")
        #expect(shown.contains("owner-0123456789") && shown.contains("pw-0123456789"))
    }
}
