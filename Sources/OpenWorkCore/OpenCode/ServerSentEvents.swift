public import OpenWorkJSON

/// Parses a Server-Sent Events byte stream into the JSON payloads of its `data:` fields.
///
/// Lines `event:`, `id:` and `retry:` and comments (`:`) are ignored, as opencode's clients must; several
/// `data:` lines of one event are joined with newlines; an event ends at a blank line. A payload that is not
/// JSON is skipped rather than ending the stream.
public struct ServerSentEventParser: Sendable {
    private var pending: [UInt8] = []
    private var data: [String] = []

    public init() {}

    /// Feeds bytes and returns the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [JSONValue] {
        var events: [JSONValue] = []
        for byte in bytes {
            guard byte == 10 else {
                pending.append(byte)
                continue
            }
            if pending.last == 13 { pending.removeLast() }
            let line = String(decoding: pending, as: UTF8.self)
            pending.removeAll(keepingCapacity: true)
            if line.isEmpty {
                if !data.isEmpty, let event = try? JSONValue(parsing: data.joined(separator: "\n")) {
                    events.append(event)
                }
                data.removeAll()
            } else if line.hasPrefix("data:") {
                var value = line.dropFirst(5)
                if value.first == " " { value = value.dropFirst() }
                data.append(String(value))
            }
        }
        return events
    }
}
