import OpenWorkJSON

/// What the sessions are doing: prompts accepted by `POST /session/:id/prompt_async`, the busy sessions of
/// `GET /session/status`, the messages of `GET /session/:id/message`, and `POST /session/:id/abort`.
///
/// There is no model: a prompt records the user's message, turns its session `busy` for the knob
/// `FAKE_OPENCODE_PROMPT_BUSY_MS`, then writes an assistant message `Fake reply to: <text>` and turns it idle
/// again. Prompts sent while a session is busy wait their turn. The events are opencode's: `message.updated`,
/// `message.part.updated`, `session.status {sessionID, status}` when the status changes and `session.idle` when a
/// turn ends. Aborting ends the turn at once with an assistant message carrying `MessageAbortedError`; disposing
/// the instance drops its sessions' work silently (their status goes with the instance, as upstream).
actor SessionWork {
    private struct Prompt {
        var userMessageID: String
        var text: String
        var agent: String
        var model: (providerID: String, modelID: String)
    }

    private struct Running {
        var session: JSONValue
        var queue: [Prompt]
        var worker: Task<Void, Never>?
    }

    private let bus: EventFeed
    private let identifiers: IdentifierGenerator
    private let clock: WallClock
    private let busyTime: Duration
    private var running: [String: Running] = [:]
    private var messages: [String: [JSONValue]] = [:]

    init(bus: EventFeed, identifiers: IdentifierGenerator, clock: WallClock, busyTime: Duration) {
        self.bus = bus
        self.identifiers = identifiers
        self.clock = clock
        self.busyTime = busyTime
    }

    /// Records the user's message and queues its turn (none with `noReply`).
    func prompt(_ session: JSONValue, parts: [JSONValue], agent: String?, model: JSONValue?, noReply: Bool) {
        guard let sessionID = session["id"]?.stringValue else { return }
        let now = clock.milliseconds()
        let messageID = identifiers.ascending(.message, at: now)
        let modelRef = (
            providerID: model?["providerID"]?.stringValue ?? "fake",
            modelID: model?["modelID"]?.stringValue ?? "fake-model"
        )
        let info: JSONValue = [
            "id": .string(messageID), "sessionID": .string(sessionID), "role": "user",
            "time": ["created": .integer(now)], "agent": .string(agent ?? "build"),
            "model": ["providerID": .string(modelRef.providerID), "modelID": .string(modelRef.modelID)],
        ]
        let stored = parts.map { part in
            var part = part
            part["id"] = .string(identifiers.ascending(.part, at: now))
            part["sessionID"] = .string(sessionID)
            part["messageID"] = .string(messageID)
            return part
        }
        append(["info": info, "parts": .array(stored)], to: sessionID)
        publish("message.updated", ["info": info], session)
        for part in stored { publish("message.part.updated", ["part": part], session) }
        guard !noReply else { return }
        let text = stored.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
        let prompt = Prompt(userMessageID: messageID, text: text, agent: agent ?? "build", model: modelRef)
        if running[sessionID] != nil {
            running[sessionID]?.queue.append(prompt)
            return
        }
        running[sessionID] = Running(session: session, queue: [prompt])
        publish("session.status", ["sessionID": .string(sessionID), "status": ["type": "busy"]], session)
        running[sessionID]?.worker = Task { await self.work(sessionID) }
    }

    /// Ends `sessionID`'s turn now (an assistant message with `MessageAbortedError`) and drops its queued
    /// prompts; nothing happens when it is idle.
    func abort(_ sessionID: String) {
        guard let state = running.removeValue(forKey: sessionID) else { return }
        state.worker?.cancel()
        if let prompt = state.queue.first {
            let error: JSONValue = ["name": "MessageAbortedError", "data": ["message": "The operation was aborted."]]
            answer(prompt, in: state.session, error: error)
        }
        finish(state.session)
    }

    /// `directory`'s sessions that are not idle: `{sessionID: {type: "busy"}}`.
    func statuses(directory: String) -> JSONValue {
        var map: [String: JSONValue] = [:]
        for (id, state) in running where state.session["directory"]?.stringValue == directory {
            map[id] = ["type": "busy"]
        }
        return .object(map)
    }

    /// `sessionID`'s messages, oldest first; the last `limit` when given.
    func messages(of sessionID: String, limit: Int?) -> [JSONValue] {
        let all = messages[sessionID] ?? []
        guard let limit else { return all }
        return Array(all.suffix(limit))
    }

    /// The instance of `directory` is going away: its sessions' work stops without events.
    func abandon(directory: String) {
        for (id, state) in running where state.session["directory"]?.stringValue == directory {
            state.worker?.cancel()
            running[id] = nil
        }
    }

    /// The session was deleted: its work stops and its messages go.
    func forget(_ sessionID: String) {
        running.removeValue(forKey: sessionID)?.worker?.cancel()
        messages[sessionID] = nil
    }

    private func work(_ sessionID: String) async {
        while let state = running[sessionID], let prompt = state.queue.first {
            do {
                try await Task.sleep(for: busyTime)
            } catch {
                return  // aborted or abandoned: whoever cancelled did the bookkeeping
            }
            guard let current = running[sessionID], current.queue.first?.userMessageID == prompt.userMessageID else {
                return
            }
            answer(prompt, in: current.session, error: nil)
            running[sessionID]?.queue.removeFirst()
        }
        if let state = running.removeValue(forKey: sessionID) { finish(state.session) }
    }

    /// Writes the assistant's message for `prompt`: its reply, or `error`.
    private func answer(_ prompt: Prompt, in session: JSONValue, error: JSONValue?) {
        guard let sessionID = session["id"]?.stringValue else { return }
        let now = clock.milliseconds()
        let messageID = identifiers.ascending(.message, at: now)
        let directory = session["directory"]?.stringValue ?? "/"
        var info: JSONValue = [
            "id": .string(messageID), "sessionID": .string(sessionID), "role": "assistant",
            "time": ["created": .integer(now), "completed": .integer(now)],
            "parentID": .string(prompt.userMessageID), "modelID": .string(prompt.model.modelID),
            "providerID": .string(prompt.model.providerID), "mode": .string(prompt.agent),
            "agent": .string(prompt.agent), "path": ["cwd": .string(directory), "root": .string(directory)],
            "cost": 0, "tokens": ["input": 0, "output": 0, "reasoning": 0, "cache": ["read": 0, "write": 0]],
        ]
        var parts: [JSONValue] = []
        if let error {
            info["error"] = error
        } else {
            info["finish"] = "stop"
            parts.append([
                "id": .string(identifiers.ascending(.part, at: now)), "sessionID": .string(sessionID),
                "messageID": .string(messageID), "type": "text", "text": .string("Fake reply to: \(prompt.text)"),
            ])
        }
        append(["info": info, "parts": .array(parts)], to: sessionID)
        for part in parts { publish("message.part.updated", ["part": part], session) }
        publish("message.updated", ["info": info], session)
    }

    private func finish(_ session: JSONValue) {
        guard let sessionID = session["id"]?.stringValue else { return }
        publish("session.status", ["sessionID": .string(sessionID), "status": ["type": "idle"]], session)
        publish("session.idle", ["sessionID": .string(sessionID)], session)
    }

    private func append(_ message: JSONValue, to sessionID: String) {
        messages[sessionID, default: []].append(message)
    }

    private func publish(_ type: String, _ properties: JSONValue, _ session: JSONValue) {
        let project = session["projectID"]?.stringValue
        bus.publish(
            type: type, properties: properties, directory: session["directory"]?.stringValue ?? "/",
            project: project == "global" ? nil : project)
    }
}
