import Foundation
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `openwork rpc` when a daemon owns the data directory: the same line-delimited JSON-RPC on stdin/stdout, each
/// line sent to the daemon's `POST /rpc` and its answer written back as a line.
///
/// Framing is the stdio server's (``LineFramer``: blank lines skipped, an oversized line answered locally with
/// `line_too_long`); parse errors and every method are answered by the daemon's dispatcher, so the bytes are the
/// ones an in-process session would write. `events.subscribe` (a single request) is served here: it opens
/// `GET /events` with the requested `types`, answers once the stream is open, then forwards each event as an
/// `event` notification. EOF on stdin lets running calls finish (up to the drain timeout), closes the event
/// streams and returns; the daemon keeps running. `$/cancelRequest` reaches the daemon but cannot cancel a call
/// sent in another HTTP request.
public enum RPCBridge {
    public struct Configuration: Sendable {
        public var maximumLineBytes = 16 << 20
        public var drainTimeout: Duration = .seconds(5)
        public var inputDescriptor: Int32 = 0
        public var outputDescriptor: Int32 = 1

        public init() {}
    }

    /// Bridges until end of input.
    public static func serve(client: DaemonClient, record: DaemonRecord, configuration: Configuration) async {
        _ = signal(SIGPIPE, SIG_IGN)
        let output = LineOutput(descriptor: configuration.outputDescriptor)
        let input = readEvents(
            descriptor: configuration.inputDescriptor, maximumLineBytes: configuration.maximumLineBytes)
        let subscriptions = Mutex<[Task<Void, Never>]>([])
        await withTaskGroup(of: Bool.self) { group in
            var running = 0
            for await event in input {
                switch event {
                case .oversized(let limit):
                    let error = RPCError.invalidRequest("line longer than \(limit) bytes", kind: "line_too_long")
                    output.send(RPCResponse.error(error).json)
                case .line(let line):
                    if let subscribe = SubscribeRequest(line) {
                        let task = Task { await follow(subscribe, client: client, record: record, output: output) }
                        subscriptions.withLock { $0.append(task) }
                        continue
                    }
                    running += 1
                    group.addTask {
                        await forward(line, client: client, record: record, output: output)
                        return false
                    }
                }
            }
            if running > 0 {
                group.addTask {
                    try? await Task.sleep(for: configuration.drainTimeout)
                    return true
                }
                while running > 0, let isTimer = await group.next() {
                    if isTimer { group.cancelAll() } else { running -= 1 }
                }
            }
            group.cancelAll()
        }
        for task in subscriptions.withLock({ $0 }) { task.cancel() }
    }

    /// One line through `POST /rpc`; a failure to reach the daemon is answered locally (requests only).
    private static func forward(_ line: [UInt8], client: DaemonClient, record: DaemonRecord, output: LineOutput)
        async
    {
        do {
            if let answer = try await client.forwardRPC(line, record: record) { output.send(bytes: answer) }
        } catch {
            let message = try? JSONValue(parsing: line)
            guard let message, message.objectValue == nil || message["id"] != nil else { return }
            let id = message["id"].flatMap(RequestID.init) ?? .null
            output.send(RPCResponse.error(Dispatcher.rpcError(from: error), id: id).json)
        }
    }

    /// `events.subscribe` over `GET /events`: the answer once the stream is open, then `event` notifications.
    private static func follow(
        _ subscribe: SubscribeRequest, client: DaemonClient, record: DaemonRecord, output: LineOutput
    ) async {
        if let invalid = subscribe.invalid {
            if let id = subscribe.id { output.send(RPCResponse.error(invalid, id: id).json) }
            return
        }
        let answered = Mutex(false)
        let result: JSONValue = [
            "subscribed": true, "types": subscribe.types.map { .array($0.map(JSONValue.string)) } ?? .null,
        ]
        do {
            try await client.followEvents(
                types: subscribe.types, record: record,
                onSubscribed: {
                    answered.withLock { $0 = true }
                    if let id = subscribe.id { output.send(RPCResponse(id: id, outcome: .success(result)).json) }
                },
                onEvent: { event in
                    output.send(["jsonrpc": "2.0", "method": "event", "params": event])
                })
        } catch {
            if !answered.withLock({ $0 }), let id = subscribe.id {
                output.send(RPCResponse.error(Dispatcher.rpcError(from: error), id: id).json)
            }
        }
    }

    /// Reads the input on its own thread and frames it into lines.
    private static func readEvents(descriptor: Int32, maximumLineBytes: Int) -> AsyncStream<LineFramer.Event> {
        let (events, continuation) = AsyncStream<LineFramer.Event>.makeStream()
        // Only the reader thread touches the framer; the mutex makes that visible to the compiler.
        let framer = Mutex(LineFramer(maximumLineBytes: maximumLineBytes))
        LineReader.readChunks(from: descriptor, name: "openwork.bridge.stdin") { chunk in
            for event in framer.withLock({ $0.feed(chunk) }) { continuation.yield(event) }
        } onEnd: {
            for event in framer.withLock({ $0.finish() }) { continuation.yield(event) }
            continuation.finish()
        }
        return events
    }
}

/// A single `events.subscribe` request or notification, with its `types` checked.
private struct SubscribeRequest: Sendable {
    var id: RequestID?
    var types: [String]?
    var invalid: RPCError?

    init?(_ line: [UInt8]) {
        guard let message = try? JSONValue(parsing: line), message["method"] == "events.subscribe",
            message["jsonrpc"] == "2.0"
        else { return nil }
        id = message["id"].flatMap(RequestID.init)
        guard let types = message["params"]?["types"], types != .null else { return }
        guard let array = types.arrayValue, array.allSatisfy({ $0.stringValue != nil }) else {
            invalid = .invalidParams("types must be an array of strings")
            return
        }
        self.types = array.compactMap(\.stringValue)
    }
}

/// Writes whole lines to a descriptor, one at a time, so answers and events never interleave; stops quietly once
/// the reader has gone (EPIPE).
private final class LineOutput: Sendable {
    private let descriptor: Int32
    private let closed = Mutex(false)

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    func send(_ message: JSONValue) {
        let bytes =
            (try? message.serializedBytes(.compact))
            ?? Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}"#.utf8)
        send(bytes: bytes)
    }

    func send(bytes: [UInt8]) {
        closed.withLock { closed in
            guard !closed else { return }
            let line = bytes + [10]
            var offset = 0
            while offset < line.count {
                let written = line.withUnsafeBytes {
                    Glibc.write(descriptor, $0.baseAddress.map { $0 + offset }, line.count - offset)
                }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    closed = true
                    return
                }
                offset += written
            }
        }
    }
}
