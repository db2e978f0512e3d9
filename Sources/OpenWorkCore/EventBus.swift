import Foundation
public import OpenWorkJSON
import Synchronization

/// Fans engine events out to subscribers. Events are objects `{"type":…,"time":<unix ms>,…}`.
///
/// Publishing never blocks: a subscriber that stops reading keeps at most `bufferLimit` events (the oldest
/// are dropped).
public final class EventBus: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<JSONValue>.Continuation]>([:])
    private let now: @Sendable () -> Int64
    private let bufferLimit: Int
    private let tap: (@Sendable (String, [String: JSONValue]) -> Void)?

    /// - Parameter tap: sees every event as it is published (the engine logs them there).
    public init(
        bufferLimit: Int = 1_000, now: @escaping @Sendable () -> Int64 = Registry.Clock.unixMilliseconds,
        tap: (@Sendable (String, [String: JSONValue]) -> Void)? = nil
    ) {
        self.bufferLimit = bufferLimit
        self.now = now
        self.tap = tap
    }

    public func publish(_ type: String, _ fields: [String: JSONValue] = [:]) {
        var event = fields
        event["type"] = .string(type)
        event["time"] = .integer(now())
        let value = JSONValue.object(event)
        tap?(type, fields)
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(value) }
    }

    /// A stream of every event published from now on, ending when the consumer stops iterating.
    public func subscribe() -> AsyncStream<JSONValue> {
        subscription().events
    }

    /// A stream as ``subscribe()`` gives, and `finish`, which ends it once the events already published to it
    /// are read: a consumer that must see everything up to an instant drains it instead of being cancelled.
    public func subscription() -> (events: AsyncStream<JSONValue>, finish: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream<JSONValue>.makeStream(bufferingPolicy: .bufferingNewest(bufferLimit))
        let id = UUID()
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        return (stream, { continuation.finish() })
    }
}
