import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
public import OpenWorkJSON
public import OpenWorkSystem

/// The owner of opencode's permission requests: follows the supervised opencode's `/global/event` stream
/// (reconnecting with backoff after restarts and disconnects; after a reconnect to the same opencode, resyncing
/// from `GET /permission` for each warm directory — never for a fresh opencode, where it could only boot
/// instances), keeps the pending requests per workspace, answers them (`POST /permission/:id/reply`, else the
/// legacy route), and publishes `approval.watching`, `approval.requested` and `approval.resolved`.
///
/// Auto mode answers `once` at once (logged); a timeout rejects requests nobody answered in time. Requests
/// still pending when their opencode exits are resolved with reason `opencode_exited`. The decisions are the
/// pure ``ApprovalRules``; this actor only carries them out. It never starts opencode.
public actor ApprovalCenter {
    public struct Configuration: Sendable {
        public var settings: ApprovalSettings
        /// The deadline of each request to opencode.
        public var requestTimeout: Duration = .seconds(10)
        /// While no opencode is ready the follower waits for `opencode.ready`, and looks anyway this often.
        public var idlePoll: Duration = .seconds(1)
        /// The owner's clock, for timeouts.
        public var now: @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }

        public init(settings: ApprovalSettings = ApprovalSettings()) {
            self.settings = settings
        }
    }

    private let configuration: Configuration
    private let supervisor: Supervisor
    private let registry: Registry
    private let events: EventBus
    private let client: OpenCodeClient
    private let http: HTTPClient
    private let engineEvents: AsyncStream<JSONValue>
    private let logger = Logger(label: "openwork.approvals")

    private var pending: [String: PendingApproval] = [:]
    /// The pid of the opencode each pending request came from.
    private var origin: [String: Int64] = [:]
    private var warmDirectories: Set<String> = []
    /// What `approval.resolved` says about answers being sent now (opencode's `permission.replied` may arrive
    /// on the stream before the reply's own answer does).
    private var answering: [String: [String: JSONValue]] = [:]
    /// The opencode whose event stream is open right now.
    private var connected: (endpoint: OpenCodeEndpoint, pid: Int64)?
    private var tasks: [Task<Void, Never>] = []
    /// The timeout of each pending request (manual mode with a timeout), cancelled when it is resolved.
    private var timers: [String: Task<Void, Never>] = [:]
    private var started = false
    /// The opencode whose stream was opened last: opening it again is a reconnect, which resyncs.
    private var lastOpenedPID: Int64?
    /// `opencode.ready` events seen so far, and the follower waiting for the next one.
    private var readySignals = 0
    private var idleWaiter: CheckedContinuation<Void, Never>?

    init(
        _ configuration: Configuration, supervisor: Supervisor, registry: Registry, events: EventBus,
        client: OpenCodeClient, http: HTTPClient
    ) {
        self.configuration = configuration
        self.supervisor = supervisor
        self.registry = registry
        self.events = events
        self.client = client
        self.http = http
        engineEvents = events.subscribe()
    }

    public var settings: ApprovalSettings { configuration.settings }

    /// Starts following the engine's events and opencode's event stream (idempotent).
    public func start() {
        guard !started else { return }
        started = true
        tasks.append(Task { await self.followEngine() })
        tasks.append(Task { await self.followOpenCode() })
    }

    /// Stops following; waits until the followers are gone.
    public func stop() async {
        let running = tasks + timers.values
        tasks = []
        timers = [:]
        for task in running { task.cancel() }
        wake()
        for task in running { await task.value }
    }

    // MARK: Queries and replies

    /// The pending requests, oldest first; only `workspaceID`'s when given.
    public func list(workspaceID: String? = nil) -> [JSONValue] {
        pending.values
            .filter { workspaceID == nil || $0.workspaceID == workspaceID }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            .map(\.json)
    }

    /// Answers a pending request: `POST /permission/:id/reply`, or the legacy route when that one is 404.
    public func reply(_ id: String, _ reply: ApprovalReply, message: String?) async throws(OpenWorkError)
        -> JSONValue
    {
        try await answer(id, reply, message: message, extra: [:])
        logger.info("permission answered", metadata: ["id": "\(id)", "reply": "\(reply.rawValue)"])
        return ["id": .string(id), "source": "opencode", "reply": .string(reply.rawValue), "resolved": true]
    }

    private func answer(_ id: String, _ reply: ApprovalReply, message: String?, extra: [String: JSONValue])
        async throws(OpenWorkError)
    {
        guard let item = pending[id] else {
            throw OpenWorkError(
                .approvalNotFound, "no pending approval \(id)", details: ["id": .string(id), "source": "opencode"])
        }
        guard let endpoint = await supervisor.snapshot.endpoint else {
            throw OpenWorkError(.opencodeUnavailable, "opencode is not running, so \(id) cannot be answered")
        }
        var fields = extra
        fields["reply"] = .string(reply.rawValue)
        answering[id] = fields
        defer { answering[id] = nil }
        var body: JSONValue = ["reply": .string(reply.rawValue)]
        if let message { body["message"] = .string(message) }
        let timeout = configuration.requestTimeout
        do {
            do {
                _ = try await client.call(
                    endpoint, .POST, "/permission/\(OpenCodeClient.percentEncode(id))/reply",
                    directory: item.directory, body: body, timeout: timeout)
            } catch  where ApprovalRules.shouldUseLegacyRoute(afterStatus: error.status) {
                _ = try await client.call(
                    endpoint, .POST,
                    "/session/\(OpenCodeClient.percentEncode(item.sessionID))/permissions/"
                        + OpenCodeClient.percentEncode(id),
                    directory: item.directory, body: ["response": .string(reply.rawValue)], timeout: timeout)
            }
        } catch {
            throw OpenWorkError(
                .opencodeRequestFailed, "opencode refused the reply to \(id): \(error.description)",
                details: ["status": error.status.map { .integer(Int64($0)) } ?? .null])
        }
        resolve(id, fields)
    }

    // MARK: Bookkeeping

    private func track(
        _ directory: String, id: String, sessionID: String, permission: String, patterns: [String], pid: Int64
    ) async {
        guard pending[id] == nil else { return }
        let workspaces = (try? await registry.state().workspaces) ?? []
        guard pending[id] == nil else { return }
        let item = PendingApproval(
            id: id, workspaceID: ApprovalRules.workspaceID(for: directory, in: workspaces), directory: directory,
            sessionID: sessionID, permission: permission, patterns: patterns,
            createdAt: Registry.Clock.unixMilliseconds(), received: configuration.now())
        pending[id] = item
        origin[id] = pid
        var fields = item.json.objectValue ?? [:]
        fields["type"] = nil
        events.publish("approval.requested", fields)
        logger.info(
            "permission requested",
            metadata: ["id": "\(id)", "permission": "\(permission)", "workspaceId": "\(item.workspaceID ?? "-")"])
        switch configuration.settings.mode {
        case .auto:
            do {
                try await answer(id, .once, message: nil, extra: ["by": "auto"])
                logger.info("permission answered automatically", metadata: ["id": "\(id)", "reply": "once"])
            } catch {
                logger.warning("automatic answer failed", metadata: ["id": "\(id)", "error": "\(error)"])
            }
        case .manual:
            if let timeout = configuration.settings.timeout {
                timers[id] = Task {
                    try? await Task.sleep(for: timeout)
                    if !Task.isCancelled { await self.expire(id) }
                }
            }
        }
    }

    /// The timer of `id` went off: rejects it if the pure rule says its time is up.
    private func expire(_ id: String) async {
        timers[id] = nil
        let due = ApprovalRules.expired(
            Array(pending.values), timeout: configuration.settings.timeout, now: configuration.now())
        guard due.contains(id) else { return }
        do {
            try await answer(id, .reject, message: "no answer in time", extra: ["reason": "timeout"])
            logger.info("permission rejected after the timeout", metadata: ["id": "\(id)"])
        } catch {
            logger.warning("rejecting after the timeout failed", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// Removes a pending request and publishes `approval.resolved` (once per request).
    private func resolve(_ id: String, _ fields: [String: JSONValue]) {
        guard let item = pending.removeValue(forKey: id) else { return }
        origin[id] = nil
        timers.removeValue(forKey: id)?.cancel()
        var event = fields
        event["id"] = .string(id)
        event["source"] = "opencode"
        event["workspaceId"] = item.workspaceID.map(JSONValue.string) ?? .null
        events.publish("approval.resolved", event)
    }

    // MARK: The engine's events

    private func followEngine() async {
        for await event in engineEvents {
            let directory = event["directory"]?.stringValue
            switch event["type"]?.stringValue {
            case "instance.created":
                if let directory { warmDirectories.insert(directory) }
            case "instance.disposed":
                if let directory {
                    warmDirectories.remove(directory)
                    for item in pending.values where item.directory == directory {
                        resolve(item.id, ["reason": "instance_disposed"])
                    }
                }
            case "opencode.ready":
                readySignals += 1
                wake()
            case "opencode.exited":
                warmDirectories.removeAll()
                let pid = event["pid"]?.int64Value
                for (id, owner) in origin where pid == nil || owner == pid {
                    resolve(id, ["reason": "opencode_exited"])
                }
            default:
                break
            }
        }
    }

    // MARK: opencode's event stream

    private func followOpenCode() async {
        var failures = 0
        while !Task.isCancelled {
            let signals = readySignals
            let now = await supervisor.snapshot
            guard let endpoint = now.endpoint, let pid = now.pid.map({ Int64($0) }) else {
                if readySignals == signals { await idle() }
                continue
            }
            let opened = await follow(endpoint, pid: pid)
            connected = nil
            if Task.isCancelled { return }
            failures = opened ? 1 : failures + 1
            let delay = ApprovalRules.reconnectDelay(failures: failures)
            logger.debug("opencode event stream ended; reconnecting", metadata: ["delayMs": "\(delay.milliseconds)"])
            try? await Task.sleep(for: delay)
        }
    }

    /// Waits for the next `opencode.ready` (or `idlePoll`, or ``stop()``).
    private func idle() async {
        let poll = configuration.idlePoll
        let alarm = Task {
            try? await Task.sleep(for: poll)
            self.wake()
        }
        // No suspension between this check and installing the waiter: ``stop()`` (cancel, then wake) runs on this
        // actor either before the check or after the waiter is in place.
        if !Task.isCancelled { await withCheckedContinuation { idleWaiter = $0 } }
        alarm.cancel()
    }

    private func wake() {
        idleWaiter?.resume()
        idleWaiter = nil
    }

    /// Reads one `/global/event` stream until it ends; whether it was opened.
    private func follow(_ endpoint: OpenCodeEndpoint, pid: Int64) async -> Bool {
        var request = HTTPClientRequest(url: OpenCodeClient.url(endpoint.baseURL, "/global/event", directory: nil))
        if let password = endpoint.password {
            request.headers.add(
                name: "Authorization",
                value: OpenCodeClient.basicAuthorization(username: endpoint.username ?? "opencode", password: password))
        }
        request.headers.add(name: "Accept", value: "text/event-stream")
        var opened = false
        do {
            let response = try await http.execute(
                request, timeout: .nanoseconds(configuration.requestTimeout.nanoseconds))
            guard response.status == .ok else { return false }
            var parser = ServerSentEventParser()
            for try await chunk in response.body {
                for frame in parser.feed(chunk.readableBytesView) {
                    let (directory, change) = ApprovalRules.change(in: frame)
                    switch change {
                    case .connected:
                        opened = true
                        connected = (endpoint, pid)
                        let reconnect = lastOpenedPID == pid
                        lastOpenedPID = pid
                        let directories = reconnect ? warmDirectories.sorted() : []
                        for directory in directories { await resync(directory, endpoint, pid: pid) }
                        events.publish(
                            "approval.watching",
                            ["pid": .integer(pid), "resynced": .array(directories.map(JSONValue.string))])
                    case .asked(let id, let sessionID, let permission, let patterns):
                        guard let directory else { continue }
                        await track(
                            directory, id: id, sessionID: sessionID, permission: permission, patterns: patterns,
                            pid: pid)
                    case .replied(let id, let reply):
                        resolve(id, (answering[id] ?? [:]).merging(["reply": .string(reply)]) { _, new in new })
                    case .other:
                        break
                    }
                }
            }
        } catch {
            logger.debug("opencode event stream failed", metadata: ["error": "\(error)"])
        }
        return opened
    }

    /// `GET /permission` for one directory: tracks what is pending there, resolves what no longer is.
    private func resync(_ directory: String, _ endpoint: OpenCodeEndpoint, pid: Int64) async {
        guard
            let listed = try? await client.call(
                endpoint, .GET, "/permission", directory: directory, timeout: configuration.requestTimeout),
            let requests = listed.arrayValue
        else { return }
        var ids: Set<String> = []
        for request in requests {
            guard let id = request["id"]?.stringValue,
                case .asked(_, let sessionID, let permission, let patterns) = ApprovalRules.asked(request, id: id)
            else { continue }
            ids.insert(id)
            await track(directory, id: id, sessionID: sessionID, permission: permission, patterns: patterns, pid: pid)
        }
        for id in ApprovalRules.vanished(Array(pending.values), directory: directory, listed: ids) {
            resolve(id, ["reason": "not_pending"])
        }
    }
}
