public import OpenWorkJSON
import Synchronization

/// One client connection (a stdio session, later an HTTP event stream): lets handlers push notifications
/// to that client and tie background work to the connection's lifetime.
public final class RPCSession: Sendable {
    private let sink: @Sendable (JSONValue) -> Void
    private let state = Mutex<(closed: Bool, tasks: [Task<Void, Never>])>((false, []))

    /// - Parameter sink: writes one message to the client.
    public init(sink: @escaping @Sendable (JSONValue) -> Void) {
        self.sink = sink
    }

    /// Sends a notification `{"jsonrpc":"2.0","method":…,"params":…}` unless the session is closed.
    public func notify(_ method: String, _ params: JSONValue) {
        guard !isClosed else { return }
        sink(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Keeps `task` until the session closes, then cancels it.
    public func own(_ task: Task<Void, Never>) {
        let closed = state.withLock { state in
            if !state.closed { state.tasks.append(task) }
            return state.closed
        }
        if closed { task.cancel() }
    }

    /// Ends the session: owned tasks are cancelled and no more notifications are sent.
    public func close() {
        let tasks = state.withLock { state in
            state.closed = true
            defer { state.tasks = [] }
            return state.tasks
        }
        for task in tasks { task.cancel() }
    }
}
