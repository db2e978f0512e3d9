import OpenWorkJSON

/// The append-only JSON-lines request log (`FAKE_OPENCODE_LOG=path`): one object per request.
///
/// Each line is written with a single `write` on an `O_APPEND` descriptor, so concurrent requests never
/// interleave inside a line. The `auth_token` query parameter is never logged.
final class RequestLog: Sendable {
    private let descriptor: Int32

    init?(path: String) {
        guard let descriptor = SystemCalls.openForAppending(path) else { return nil }
        self.descriptor = descriptor
    }

    func record(_ entry: JSONValue) {
        guard let line = try? entry.serialized(.compact) else { return }
        SystemCalls.writeAll(line + "\n", to: descriptor)
    }
}
