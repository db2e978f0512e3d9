import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import OpenWorkJSON
import OpenWorkSystem

/// Following the engine's events (warm directories, opencode's exits) and opencode's `/global/event` stream.
extension ApprovalCenter {
    // MARK: The engine's events

    func followEngine() async {
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

    func followOpenCode() async {
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

    func wake() {
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
                    case .asked(let id, let sessionID, let request):
                        guard let directory else { continue }
                        await track(directory, id: id, sessionID: sessionID, request: request, pid: pid)
                    case .replied(let id, let reply):
                        resolved(id, ["reply": .string(reply)])
                    case .answered(let id, let answers):
                        resolved(id, ["answers": .array(answers.map { .array($0.map(JSONValue.string)) })])
                    case .rejected(let id):
                        resolved(id, ["reply": "reject"])
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

    /// opencode reports `id` answered: what our own answer in flight said, plus what opencode says.
    private func resolved(_ id: String, _ fields: [String: JSONValue]) {
        resolve(id, (answering[id] ?? [:]).merging(fields) { _, new in new })
    }

    /// `GET /permission` and `GET /question` for one directory: tracks what is pending there, resolves what no
    /// longer is. A list that cannot be read (an opencode without questions answers 404) changes nothing.
    private func resync(_ directory: String, _ endpoint: OpenCodeEndpoint, pid: Int64) async {
        for questions in [false, true] {
            guard
                let listed = try? await client.call(
                    endpoint, .GET, questions ? "/question" : "/permission", directory: directory,
                    timeout: configuration.requestTimeout),
                let requests = listed.arrayValue
            else { continue }
            var ids: Set<String> = []
            for request in requests {
                guard let id = request["id"]?.stringValue else { continue }
                ids.insert(id)
                await track(
                    directory, id: id, sessionID: ApprovalRules.sessionID(request),
                    request: questions ? ApprovalRules.questions(request) : ApprovalRules.permission(request), pid: pid)
            }
            let known = pending.values.filter { $0.isQuestion == questions }
            for id in ApprovalRules.vanished(known, directory: directory, listed: ids) {
                resolve(id, ["reason": "not_pending"])
            }
        }
    }
}
