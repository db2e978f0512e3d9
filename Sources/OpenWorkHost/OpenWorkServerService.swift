import Foundation
public import Logging
import NIOHTTP1
public import OpenWorkCore
import OpenWorkJSON
public import OpenWorkSystem

/// openwork-server as a supervised service, started after opencode is ready, with the anchor's argv and
/// environment (no secret on argv: the tokens and opencode's credentials travel in its environment).
///
/// Ready once it printed `OpenWork server listening on http://host:port`, answered `GET /health`, and passed the
/// anchor's verification: the expected version (when one is known), its `GET /workspaces` (collaborator token)
/// holds the workspace with exactly the opencode credentials it was given, and `GET /approvals` accepts the host
/// token. Then an owner token is minted with `POST /tokens`. A restarted server is verified again and gets a
/// fresh owner token.
public enum OpenWorkServerService {
    public struct Configuration: Sendable {
        public var executable: String
        public var settings: HostSettings
        /// The opencode it fronts: its base URL (credentials are in ``HostSettings/secrets``).
        public var opencodeURL: String
        /// The environment the child starts from (the run's own variables are added).
        public var environment: [String: String]
        /// The version `GET /health` must report; `nil`: any (an external binary of unknown version).
        public var expectedVersion: String?
        public var owner: String?
        public var policy = RestartPolicy()
        public var onOutputLine: (@Sendable (String) -> Void)?
        /// Called with the owner token minted after each successful verification.
        public var onVerified: @Sendable (_ ownerToken: String, _ version: String?) async -> Void = { _, _ in }
        public var logger = Logger(label: "openwork.host")
        /// `--host` and `--port`: the settings' (a container's own when sandboxed).
        public var host: String
        public var port: Int

        public init(executable: String, settings: HostSettings, opencodeURL: String, environment: [String: String]) {
            self.executable = executable
            self.settings = settings
            self.host = settings.openworkHost
            self.port = settings.openworkPort
            self.opencodeURL = opencodeURL
            self.environment = environment
        }

        public var arguments: [String] {
            var arguments = [
                "--host", host, "--port", String(port), "--workspace",
                settings.workspace, "--approval", settings.approvals.mode.rawValue,
            ]
            if let timeout = settings.approvals.timeout {
                arguments += ["--approval-timeout", String(timeout.milliseconds)]
            }
            if settings.readOnly { arguments.append("--read-only") }
            if settings.cors != ["*"] { arguments += ["--cors", settings.cors.joined(separator: ",")] }
            return arguments + [
                "--opencode-base-url", opencodeURL, "--opencode-directory", settings.workspace,
            ]
        }

        public var childEnvironment: [String: String] {
            let secrets = settings.secrets
            return environment.merging([
                "OPENWORK_TOKEN": secrets.collaboratorToken,
                "OPENWORK_HOST_TOKEN": secrets.hostToken,
                "OPENWORK_RUN_ID": settings.runID,
                "OTEL_RESOURCE_ATTRIBUTES": settings.otelAttributes(
                    service: "openwork-server", inherited: environment["OTEL_RESOURCE_ATTRIBUTES"]),
                "OPENWORK_OPENCODE_BASE_URL": opencodeURL,
                "OPENWORK_OPENCODE_DIRECTORY": settings.workspace,
                "OPENWORK_OPENCODE_USERNAME": secrets.opencodeUsername,
                "OPENWORK_OPENCODE_PASSWORD": secrets.opencodePassword,
            ]) { _, new in new }
        }

        public func description() -> ServiceDescription {
            let configuration = self
            var service = ServiceDescription(
                name: "openwork-server", executable: executable, arguments: arguments,
                environment: childEnvironment,
                preStart: { executable throws(OpenWorkError) in
                    guard Executable.isExecutableFile(executable) else {
                        throw OpenWorkError(
                            .serviceStartFailed, "no openwork-server at \(executable)",
                            details: ["executable": .string(executable)])
                    }
                    return configuration.expectedVersion ?? "unknown"
                },
                readiness: { child, deadline in
                    guard
                        let baseURL = await ServiceOutput.firstURL(
                            after: "OpenWork server listening on ", in: child, before: deadline)
                    else { return nil }
                    return await configuration.verified(
                        ServiceEndpoint(baseURL: baseURL), child: child, before: deadline)
                },
                probe: { endpoint, timeout in
                    guard
                        let client = try? OpenWorkServerClient(
                            baseURL: endpoint.baseURL, hostToken: "-", timeout: timeout)
                    else { return false }
                    return (try? await client.request(.GET, "/health", auth: .none))?.json?["ok"] == true
                },
                startFailedCode: .serviceStartFailed, unavailableCode: .serviceUnavailable)
            service.startTimeout = settings.startupTimeout
            service.owner = owner
            service.policy = policy
            service.onOutputLine = onOutputLine
            return service
        }

        /// `endpoint` once `/health` answers and the verification passed (the owner token minted); `nil` when
        /// the child exits, the deadline passes, or the verification fails (logged, with the reason).
        func verified(_ endpoint: ServiceEndpoint, child: ChildProcess, before deadline: ContinuousClock.Instant)
            async -> ServiceEndpoint?
        {
            guard
                let client = try? OpenWorkServerClient(
                    baseURL: endpoint.baseURL, hostToken: settings.secrets.hostToken, timeout: .seconds(2))
            else { return nil }
            var health: JSONValue?
            while ContinuousClock.now < deadline, child.exit == nil {
                if let answer = try? await client.request(.GET, "/health", auth: .none), answer.status == 200,
                    answer.json?["ok"] == true
                {
                    health = answer.json
                    break
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
            guard let health else { return nil }
            do {
                let owner = try await verify(client, health: health)
                await onVerified(owner, health["version"]?.stringValue)
                return endpoint
            } catch {
                logger.error("openwork-server failed verification", metadata: ["error": "\(error.message)"])
                return nil
            }
        }

        /// The anchor's checks, then `POST /tokens`: the owner token.
        func verify(_ client: OpenWorkServerClient, health: JSONValue) async throws(OpenWorkError) -> String {
            if let expectedVersion, health["version"]?.stringValue != expectedVersion {
                throw OpenWorkError(
                    .serviceVerificationFailed,
                    "openwork-server reports version \(health["version"]?.stringValue ?? "none"), expected \(expectedVersion)"
                )
            }
            let secrets = settings.secrets
            let listed = try await client.request(.GET, "/workspaces", auth: .bearer(secrets.collaboratorToken))
            let items = listed.json?["items"]?.arrayValue ?? []
            guard listed.status == 200,
                let item = items.first(where: {
                    (try? PathNormalizer.normalize($0["path"]?.stringValue ?? "", relativeTo: nil, home: nil))
                        == settings.workspace
                })
            else {
                throw OpenWorkError(
                    .serviceVerificationFailed,
                    "openwork-server does not list the workspace \(settings.workspace) (GET /workspaces: \(listed.status))"
                )
            }
            let opencode = item["opencode"]
            let expected: [(String, String)] = [
                ("baseUrl", opencodeURL), ("directory", settings.workspace),
                ("username", secrets.opencodeUsername), ("password", secrets.opencodePassword),
            ]
            for (key, value) in expected where opencode?[key]?.stringValue != value {
                throw OpenWorkError(
                    .serviceVerificationFailed, "openwork-server's workspace has another opencode \(key) than was given"
                )
            }
            let approvals = try await client.request(.GET, "/approvals", auth: .host)
            guard (200..<300).contains(approvals.status) else {
                throw OpenWorkError(
                    .serviceVerificationFailed,
                    "openwork-server refused the host token on GET /approvals (\(approvals.status))")
            }
            let minted = try await client.request(
                .POST, "/tokens", body: ["scope": "owner", "label": "OpenWork owner token"], auth: .host)
            guard (200..<300).contains(minted.status), let token = minted.json?["token"]?.stringValue else {
                throw OpenWorkError(
                    .serviceVerificationFailed, "openwork-server did not mint an owner token (\(minted.status))")
            }
            return token
        }
    }
}
