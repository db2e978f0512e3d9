import Foundation
import Logging
import OpenWorkJSON
import OpenWorkSidecars
public import OpenWorkSystem

extension Engine {
    /// How long a request that failed against a child the supervisor still calls ready waits for a transition
    /// before it is tried against that child again.
    static let retryPatience: Duration = .milliseconds(20)

    /// A ready opencode, once the data directory is owned and the binary resolved.
    func readyChild(within deadline: Duration, newerThan generation: Int = 0)
        async throws(OpenWorkError) -> Supervisor.ReadyChild
    {
        try await own()
        try await resolveOpenCode()
        return try await supervisor.readyEndpoint(within: deadline, newerThan: generation)
    }

    /// Resolves opencode through the sidecar policy once (again after a failure) and hands the binary to the
    /// supervisor: nothing runs that the policy did not choose.
    func resolveOpenCode() async throws(OpenWorkError) {
        guard opencodeResolution == nil else { return }
        if let sidecarSettingsError { throw sidecarSettingsError }
        let task =
            opencodeResolving
            ?? Task { [sidecars] () async -> Result<SidecarResolution, OpenWorkError> in
                do {
                    return .success(try await sidecars.resolve(.opencode))
                } catch let error as OpenWorkError {
                    return .failure(error)
                } catch {
                    return .failure(OpenWorkError(.sidecarNotFound, "cannot resolve opencode: \(error)"))
                }
            }
        opencodeResolving = task
        let outcome = await task.value
        opencodeResolving = nil
        let resolution: SidecarResolution
        do {
            resolution = try outcome.get()
        } catch  where error.code == .sidecarNotFound && error.details["sidecar"] == "opencode" {
            // The same failure the supervisor reports for a path it cannot run, named for what it is.
            throw OpenWorkError(.opencodeNotFound, error.message, details: error.details)
        }
        if opencodeResolution == nil {
            await supervisor.use(executable: resolution.path)
            opencodeResolution = resolution
        }
    }

    /// Where a workspace points inside opencode: `GET /path` for its directory, checked against it.
    public func path(_ reference: String, cwd: String?) async throws(OpenWorkError) -> WorkspacePath {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        let (path, servedBy) = try await withOpenCode(for: workspace) {
            endpoint, directory throws(OpenCodeClient.Failure) in
            try await self.client.path(endpoint, directory: directory ?? "", timeout: self.configuration.requestTimeout)
        }
        if let expected = Self.directory(of: workspace), path["directory"]?.stringValue != expected {
            throw OpenWorkError(
                .opencodeRoutingMismatch,
                "opencode answered for \(path["directory"]?.stringValue ?? "no directory") instead of \(expected)",
                details: ["expected": .string(expected), "path": path])
        }
        await registry.noteUse(workspace.id)
        return WorkspacePath(workspace: view(workspace, servedBy: servedBy), path: path)
    }

    /// Frees opencode's instance for a workspace's directory; the next call creates a fresh one.
    ///
    /// - Returns: what opencode answered (`true`: disposed).
    public func dispose(_ reference: String, cwd: String?) async throws(OpenWorkError) -> Bool {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        let (disposed, _) = try await withOpenCode(for: workspace, markWarm: false) {
            endpoint, directory throws(OpenCodeClient.Failure) in
            try await self.client.disposeInstance(
                endpoint, directory: directory ?? "", timeout: self.configuration.requestTimeout)
        }
        forgetInstance(of: workspace)
        return disposed
    }

    /// What an integrator needs to talk to opencode directly for a workspace; for a local one, the credentials
    /// are also written to `<data-dir>/openwork-orchestrator-auth.json` (0600).
    public func connect(_ reference: String, cwd: String?) async throws(OpenWorkError) -> WorkspaceConnection {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        guard workspace.kind == .local else {
            return WorkspaceConnection(workspace: workspace, baseURL: workspace.baseURL, directory: workspace.directory)
        }
        let endpoint = try await readyChild(within: readyDeadline).endpoint
        instanceUsed(workspace.id)
        let login = WorkspaceConnection.Login(
            username: endpoint.username ?? "opencode", password: endpoint.password ?? "",
            authFile: configuration.dataDirectory.path + "/openwork-orchestrator-auth.json")
        let auth: JSONValue = [
            "baseUrl": .string(endpoint.baseURL), "username": .string(login.username),
            "password": .string(login.password), "updatedAt": .integer(Registry.Clock.unixMilliseconds()),
        ]
        if let bytes = try? auth.serializedBytes(.pretty) { try DurableFile.write(bytes + [10], to: login.authFile) }
        return WorkspaceConnection(
            workspace: workspace, baseURL: endpoint.baseURL, directory: workspace.path, login: login)
    }

    /// Runs a request against the opencode serving `workspace`: the supervised one for a local workspace
    /// (waiting while it starts or restarts, and retrying a request that failed because it died), the
    /// workspace's own server for a remote one.
    ///
    /// - Returns: the answer, and the pid of the supervised opencode that gave it (`nil` for a remote one).
    private func withOpenCode<T: Sendable>(
        for workspace: Workspace,
        markWarm: Bool = true,
        _ request: (OpenCodeEndpoint, String?) async throws(OpenCodeClient.Failure) -> T
    ) async throws(OpenWorkError) -> (T, servedBy: Int32?) {
        if workspace.kind == .remote {
            let endpoint = OpenCodeEndpoint(baseURL: workspace.baseURL ?? "")
            do {
                return (try await request(endpoint, workspace.directory), nil)
            } catch {
                throw OpenWorkError(
                    .opencodeRequestFailed, "the remote opencode at \(endpoint.baseURL) failed: \(error.description)",
                    details: ["baseUrl": .string(endpoint.baseURL)])
            }
        }
        let deadline = ContinuousClock.now + readyDeadline
        var child = try await readyChild(within: readyDeadline)
        while true {
            configuration.logger.debug(
                "routing to opencode", metadata: ["workspaceId": "\(workspace.id)", "directory": "\(workspace.path)"])
            do {
                let result = try await request(child.endpoint, workspace.path)
                if markWarm, warm[workspace.id] != child.pid {
                    warm[workspace.id] = child.pid
                    instanceCreated(id: workspace.id, directory: workspace.path)
                    events.publish(
                        "instance.created",
                        ["workspaceId": .string(workspace.id), "directory": .string(workspace.path)])
                } else if markWarm {
                    instanceUsed(workspace.id)
                }
                return (result, child.pid)
            } catch {
                // opencode died, hung or is being stopped under us: wait for the supervisor's replacement.
                if ContinuousClock.now < deadline,
                    case let now = await supervisor.snapshot,
                    Self.shouldRetry(
                        httpStatus: error.status, servedBy: child.pid, nowPhase: now.phase, nowPID: now.pid)
                {
                    configuration.logger.debug(
                        "retrying a request opencode did not answer: \(error.description)",
                        metadata: ["workspaceId": "\(workspace.id)"])
                    child = try await supervisor.replacement(
                        of: child, within: max(deadline - ContinuousClock.now, .milliseconds(1)),
                        patience: Self.retryPatience)
                    continue
                }
                throw OpenWorkError(
                    .opencodeRequestFailed, "opencode failed the request: \(error.description)",
                    details: ["status": error.status.map { .integer(Int64($0)) } ?? .null, "body": error.body ?? .null])
            }
        }
    }

    /// Whether a failed request failed because its opencode is going away, so it should be retried against
    /// the replacement: no answer at all; `503` from a server shutting down; `401`, i.e. not our opencode at all
    /// (the dead child's port, 4096 by default, was taken by another server before the exit was seen); or
    /// opencode is no longer ready, or is a different child, by now. Other HTTP errors are opencode's answer.
    public static func shouldRetry(httpStatus: Int?, servedBy pid: Int32, nowPhase: Supervisor.Phase, nowPID: Int32?)
        -> Bool
    {
        guard let httpStatus else { return true }
        if httpStatus == 503 || httpStatus == 401 { return true }
        return nowPhase != .ready || nowPID != pid
    }

    private static func directory(of workspace: Workspace) -> String? {
        workspace.kind == .local ? workspace.path : workspace.directory
    }
}
