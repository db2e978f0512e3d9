import OpenWorkJSON
import Synchronization

/// Fans events out to the open event streams: `/event` streams see their own directory's events as
/// `{id, type, properties}`, `/global/event` streams see every event wrapped as `{directory, project?, payload}`.
/// Every frame gets its own ascending `evt_…` id, heartbeats and `server.connected` included (opencode ≥ 1.14.43).
///
/// Each subscription is an `AsyncStream` that already holds its `server.connected` frame. Ending a directory's
/// streams (after its instance is disposed) or closing the bus (at shutdown) finishes the streams; the
/// bus does not write to sockets itself.
final class EventFeed: Sendable {
    enum Scope: Sendable, Hashable {
        case directory(String)
        case global
    }

    struct Subscription: Sendable {
        let id: Int
        let scope: Scope
        let frames: AsyncStream<JSONValue>
        /// Feeds this subscription only (heartbeats).
        let continuation: AsyncStream<JSONValue>.Continuation
    }

    private struct State {
        var nextID = 0
        var subscribers: [Int: (scope: Scope, continuation: AsyncStream<JSONValue>.Continuation)] = [:]
        var closed = false
    }

    private let state = Mutex(State())
    private let identifiers: IdentifierGenerator
    private let clock: WallClock

    init(identifiers: IdentifierGenerator, clock: WallClock) {
        self.identifiers = identifiers
        self.clock = clock
    }

    /// A new stream for `scope`, starting with its `server.connected` frame; already finished after `close()`.
    func subscribe(_ scope: Scope) -> Subscription {
        let (frames, continuation) = AsyncStream<JSONValue>.makeStream()
        continuation.yield(frame(type: "server.connected", properties: [:], for: scope))
        let id: Int? = state.withLock { state in
            guard !state.closed else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = (scope, continuation)
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return Subscription(id: 0, scope: scope, frames: frames, continuation: continuation)
        }
        continuation.onTermination = { [weak self] _ in
            self?.unsubscribe(id)
        }
        return Subscription(id: id, scope: scope, frames: frames, continuation: continuation)
    }

    func unsubscribe(_ id: Int) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: id) }
    }

    /// Delivers an instance event to `directory`'s streams and to every global stream.
    func publish(type: String, properties: JSONValue, directory: String, project: String?) {
        let event = payload(type: type, properties: properties)
        var wrapped: JSONValue = ["directory": .string(directory), "payload": event]
        if let project { wrapped["project"] = .string(project) }
        for (scope, continuation) in subscribers() {
            switch scope {
            case .directory(let target) where target == directory: continuation.yield(event)
            case .global: continuation.yield(wrapped)
            case .directory: continue
            }
        }
    }

    /// Delivers a server-wide event (like `global.disposed`) to the global streams, as directory `global`.
    func publishGlobal(type: String, properties: JSONValue) {
        let wrapped: JSONValue = ["directory": "global", "payload": payload(type: type, properties: properties)]
        for (scope, continuation) in subscribers() where scope == .global {
            continuation.yield(wrapped)
        }
    }

    /// Finishes the `/event` streams of `directory`; frames already queued are still delivered.
    func endStreams(of directory: String) {
        let ending = state.withLock { state in
            let ids = state.subscribers.filter { $0.value.scope == .directory(directory) }.map(\.key)
            return ids.compactMap { state.subscribers.removeValue(forKey: $0)?.continuation }
        }
        for continuation in ending { continuation.finish() }
    }

    /// Finishes every `/global/event` stream (new ones are still accepted); returns how many ended.
    func endGlobalStreams() -> Int {
        let ending = state.withLock { state in
            let ids = state.subscribers.filter { $0.value.scope == .global }.map(\.key)
            return ids.compactMap { state.subscribers.removeValue(forKey: $0)?.continuation }
        }
        for continuation in ending { continuation.finish() }
        return ending.count
    }

    /// Finishes every stream and refuses new ones.
    func close() {
        let ending = state.withLock { state in
            state.closed = true
            defer { state.subscribers.removeAll() }
            return state.subscribers.values.map(\.continuation)
        }
        for continuation in ending { continuation.finish() }
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    private func subscribers() -> [(Scope, AsyncStream<JSONValue>.Continuation)] {
        state.withLock { state in state.subscribers.values.map { ($0.scope, $0.continuation) } }
    }

    /// An event with a fresh id: `{id, type, properties}`.
    func payload(type: String, properties: JSONValue) -> JSONValue {
        [
            "id": .string(identifiers.ascending(.event, at: clock.milliseconds())),
            "type": .string(type),
            "properties": properties,
        ]
    }

    /// A frame as a stream of `scope` shows it: bare on `/event`, under `payload` on `/global/event`.
    func frame(type: String, properties: JSONValue, for scope: Scope) -> JSONValue {
        let event = payload(type: type, properties: properties)
        return scope == .global ? ["payload": event] : event
    }
}
