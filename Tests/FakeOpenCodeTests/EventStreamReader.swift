import OpenWorkJSON
import Synchronization

/// One Server-Sent Event: its `data:` lines joined, and the `event:`/`id:` fields if any.
struct EventFrame: Sendable, CustomStringConvertible {
    var data: String
    var event: String?
    var id: String?

    var json: JSONValue? { try? JSONValue(parsing: data) }
    var description: String { data }
}

/// Reads an event stream in the background and hands out frames with deadlines.
///
/// Frames are parsed per the SSE rules (blank line ends an event, `:` lines are comments, `event:`/`id:`
/// fields kept apart from the data). Closing the reader (or releasing it) cancels the read, which the server
/// sees as a client disconnect.
final class EventStreamReader: Sendable {
    /// How the stream ended.
    enum End: Sendable, Equatable {
        /// The server finished the response.
        case clean
        /// The connection broke or was cancelled.
        case failed(String)
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    private let buffer = FrameBuffer()
    private let task: Task<Void, Never>

    /// - Parameter read: delivers the body's chunks to its argument until the body ends (or throws).
    init(read: @escaping @Sendable (_ sink: @escaping @Sendable ([UInt8]) -> Void) async throws -> Void) {
        let buffer = self.buffer
        task = Task {
            do {
                try await read { buffer.append($0) }
                buffer.finish(.clean)
            } catch {
                buffer.finish(.failed("\(error)"))
            }
        }
    }

    deinit {
        task.cancel()
    }

    /// Disconnects.
    func close() {
        task.cancel()
    }

    /// The next frame, or `nil` once the stream has ended and every frame was taken.
    func next(within deadline: Duration = .seconds(30)) async throws -> EventFrame? {
        let end = ContinuousClock.now + deadline
        while true {
            switch buffer.take() {
            case .frame(let frame): return frame
            case .ended: return nil
            case .waiting: break
            }
            guard ContinuousClock.now < end else { throw Timeout(description: "no event within \(deadline)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The next frame's JSON; throws when the stream ends first or the data is not JSON.
    func nextJSON(within deadline: Duration = .seconds(30)) async throws -> JSONValue {
        guard let frame = try await next(within: deadline) else {
            throw Timeout(description: "stream ended (\(String(describing: buffer.end))) while waiting for an event")
        }
        guard let json = frame.json else { throw Timeout(description: "event data is not JSON: \(frame.data)") }
        return json
    }

    /// Skips frames until one's JSON satisfies `predicate`; returns it.
    func nextJSON(
        within deadline: Duration = .seconds(30),
        where predicate: (JSONValue) -> Bool
    ) async throws -> JSONValue {
        let end = ContinuousClock.now + deadline
        while true {
            let remaining = end - ContinuousClock.now
            let json = try await nextJSON(within: max(remaining, .zero))
            if predicate(json) { return json }
        }
    }

    /// Waits for the end of the stream, dropping frames; returns how it ended and the frames dropped.
    func waitForEnd(within deadline: Duration = .seconds(30)) async throws -> (end: End, frames: [EventFrame]) {
        var skipped: [EventFrame] = []
        let end = ContinuousClock.now + deadline
        while true {
            let remaining = end - ContinuousClock.now
            guard let frame = try await next(within: max(remaining, .zero)) else {
                return (buffer.end ?? .clean, skipped)
            }
            skipped.append(frame)
        }
    }

    /// Every frame that arrives during `duration` (the stream may also end meanwhile).
    func frames(during duration: Duration) async throws -> [EventFrame] {
        try await Task.sleep(for: duration)
        var frames: [EventFrame] = []
        while case .frame(let frame) = buffer.take() { frames.append(frame) }
        return frames
    }

    /// How the stream ended, or `nil` while it is open.
    var end: End? { buffer.end }
}

/// The parsing state and the parsed frames, shared by the reading task and the reader.
private final class FrameBuffer: Sendable {
    enum Taken {
        case frame(EventFrame)
        case ended
        case waiting
    }

    private struct State {
        var frames: [EventFrame] = []
        var end: EventStreamReader.End?
        var partial: [UInt8] = []
        var data: [String] = []
        var event: String?
        var id: String?
    }

    private let state = Mutex(State())

    func append(_ bytes: [UInt8]) {
        state.withLock { state in
            state.partial += bytes
            while let newline = state.partial.firstIndex(of: 10) {
                var line = Array(state.partial[..<newline])
                state.partial.removeSubrange(...newline)
                if line.last == 13 { line.removeLast() }
                Self.consume(String(decoding: line, as: UTF8.self), into: &state)
            }
        }
    }

    func finish(_ end: EventStreamReader.End) {
        state.withLock { $0.end = end }
    }

    func take() -> Taken {
        state.withLock { state in
            if !state.frames.isEmpty { return .frame(state.frames.removeFirst()) }
            return state.end == nil ? .waiting : .ended
        }
    }

    var end: EventStreamReader.End? { state.withLock { $0.end } }

    private static func consume(_ line: String, into state: inout State) {
        if line.isEmpty {
            if !state.data.isEmpty {
                state.frames.append(
                    EventFrame(data: state.data.joined(separator: "\n"), event: state.event, id: state.id))
            }
            state.data = []
            state.event = nil
            state.id = nil
            return
        }
        if line.hasPrefix(":") { return }
        let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let field = String(parts[0])
        var value = parts.count > 1 ? String(parts[1]) : ""
        if value.hasPrefix(" ") { value.removeFirst() }
        switch field {
        case "data": state.data.append(value)
        case "event": state.event = value
        case "id": state.id = value
        default: break
        }
    }
}
