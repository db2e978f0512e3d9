import Foundation
import NIOHTTP1
public import OpenWorkCore
import OpenWorkJSON
public import OpenWorkSystem

/// opencode-router as a supervised service (optional; the anchor dropped it in 0.18, the seed keeps it):
/// `opencode-router serve <workspace> --opencode-url U`, its health server on `OPENCODE_ROUTER_HEALTH_PORT`
/// (0: it picks a free port and prints `… health on http://127.0.0.1:P`, so no port is probed and released).
/// Ready, and healthy, while `GET /health` answers 200.
public enum RouterService {
    public struct Configuration: Sendable {
        public var executable: String
        public var settings: HostSettings
        public var opencodeURL: String
        public var environment: [String: String]
        public var dataDirectory: String
        public var healthPort = 0
        public var owner: String?
        public var policy = RestartPolicy()
        public var onOutputLine: (@Sendable (String) -> Void)?

        public init(
            executable: String, settings: HostSettings, opencodeURL: String, environment: [String: String],
            dataDirectory: String
        ) {
            self.executable = executable
            self.settings = settings
            self.opencodeURL = opencodeURL
            self.environment = environment
            self.dataDirectory = dataDirectory
        }

        public var childEnvironment: [String: String] {
            environment.merging([
                "OPENCODE_URL": opencodeURL,
                "OPENCODE_DIRECTORY": settings.workspace,
                "OPENCODE_ROUTER_HEALTH_PORT": String(healthPort),
                "OPENCODE_ROUTER_DATA_DIR": dataDirectory + "/opencode-router/"
                    + WorkspaceID.local(path: settings.workspace),
                "OPENCODE_SERVER_USERNAME": settings.secrets.opencodeUsername,
                "OPENCODE_SERVER_PASSWORD": settings.secrets.opencodePassword,
                "OPENWORK_RUN_ID": settings.runID,
                "OTEL_RESOURCE_ATTRIBUTES": settings.otelAttributes(
                    service: "opencode-router", inherited: environment["OTEL_RESOURCE_ATTRIBUTES"]),
            ]) { _, new in new }
        }

        public func description() -> ServiceDescription {
            var service = ServiceDescription(
                name: "opencode-router", executable: executable,
                arguments: ["serve", settings.workspace, "--opencode-url", opencodeURL],
                environment: childEnvironment,
                preStart: { executable throws(OpenWorkError) in
                    guard Executable.isExecutableFile(executable) else {
                        throw OpenWorkError(
                            .serviceStartFailed, "no opencode-router at \(executable)",
                            details: ["executable": .string(executable)])
                    }
                    return "unknown"
                },
                readiness: { child, deadline in
                    guard let url = await ServiceOutput.firstURL(after: "health on ", in: child, before: deadline)
                    else { return nil }
                    let endpoint = ServiceEndpoint(baseURL: url)
                    while ContinuousClock.now < deadline, child.exit == nil {
                        if await RouterService.isHealthy(endpoint, timeout: .seconds(2)) { return endpoint }
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                    return nil
                },
                probe: { endpoint, timeout in await RouterService.isHealthy(endpoint, timeout: timeout) },
                startFailedCode: .serviceStartFailed, unavailableCode: .serviceUnavailable)
            service.startTimeout = settings.startupTimeout
            service.owner = owner
            service.policy = policy
            service.onOutputLine = onOutputLine
            return service
        }
    }

    /// `GET /health` answered 200 (no auth).
    static func isHealthy(_ endpoint: ServiceEndpoint, timeout: Duration) async -> Bool {
        guard let client = try? OpenWorkServerClient(baseURL: endpoint.baseURL, hostToken: "-", timeout: timeout)
        else { return false }
        return (try? await client.request(.GET, "/health", auth: .none))?.status == 200
    }
}
