import AsyncHTTPClient
import Foundation
import NIOHTTP1
public import OpenWorkCore
import OpenWorkJSON
public import OpenWorkSystem

/// `--check` / `--check-events`: the anchor's checks of a started host, each step named so a failure says which.
///
/// 1. `GET <openwork>/workspaces` (collaborator token) lists at least one workspace;
/// 2. `GET <openwork>/workspace/<id>/config` answers;
/// 3. on opencode, a session titled `OpenWork headless check` is created and its messages listed;
/// 4. with events: `/event` of the workspace is subscribed, a second session created, and at least one event
///    with a string `type` must arrive — waited for with a deadline (the anchor slept 1.2 s and hoped).
public struct HostChecks: Sendable {
    public var connection: HostConnection
    public var timeout: Duration = .seconds(10)

    public init(connection: HostConnection) {
        self.connection = connection
    }

    /// Runs the checks; throws `host_check_failed` naming the failed step.
    public func run(events: Bool) async throws(OpenWorkError) {
        let http = OpenCodeClient.makeHTTPClient()
        do {
            try await run(events: events, client: OpenCodeClient(http: http))
        } catch {
            try? await http.shutdown()
            throw error
        }
        try? await http.shutdown()
    }

    private func run(events: Bool, client: OpenCodeClient) async throws(OpenWorkError) {
        let openwork = try OpenWorkServerClient(
            baseURL: connection.openworkURL, hostToken: connection.secrets.hostToken, timeout: timeout)
        let token = connection.secrets.collaboratorToken
        let listed = try await openwork.request(.GET, "/workspaces", auth: .bearer(token))
        guard listed.status == 200, let id = listed.json?["items"]?[0]?["id"]?.stringValue else {
            throw Self.failed("workspaces", "GET /workspaces listed no workspace (\(listed.status))")
        }
        let encoded =
            id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? id
        let config = try await openwork.request(.GET, "/workspace/\(encoded)/config", auth: .bearer(token))
        guard config.status == 200 else {
            throw Self.failed("workspace config", "GET /workspace/\(id)/config answered \(config.status)")
        }
        let endpoint = ServiceEndpoint(
            baseURL: connection.opencodeURL, username: connection.secrets.opencodeUsername,
            password: connection.secrets.opencodePassword)
        let directory = connection.workspace
        let session: JSONValue
        do {
            session = try await client.call(
                endpoint, .POST, "/session", directory: directory, body: ["title": "OpenWork headless check"],
                timeout: timeout)
            let sessionID = session["id"]?.stringValue ?? ""
            _ = try await client.call(
                endpoint, .GET, "/session/\(sessionID)/message", directory: directory, timeout: timeout)
        } catch {
            throw Self.failed("session", "opencode: \(error.message)")
        }
        guard events else { return }
        try await checkEvents(endpoint, directory: directory, client: client)
    }

    private func checkEvents(_ endpoint: ServiceEndpoint, directory: String, client: OpenCodeClient)
        async throws(OpenWorkError)
    {
        let stream: AsyncThrowingStream<JSONValue, any Error>
        do {
            stream = try await client.events(endpoint, "/event", directory: directory, timeout: timeout)
        } catch {
            throw Self.failed("events", "cannot subscribe to opencode's /event: \(error.description)")
        }
        let timeout = timeout
        let seen = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    for try await event in stream where event["type"]?.stringValue != nil {
                        if event["type"] != "server.connected" { return true }
                    }
                } catch {}
                return false
            }
            group.addTask {
                _ = try? await client.call(
                    endpoint, .POST, "/session", directory: directory,
                    body: ["title": "OpenWork headless check (events)"],
                    timeout: timeout)
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        guard seen else { throw Self.failed("events", "No SSE events observed during check") }
    }

    static func failed(_ step: String, _ message: String) -> OpenWorkError {
        OpenWorkError(.hostCheckFailed, "check \(step) failed: \(message)", details: ["step": .string(step)])
    }
}
