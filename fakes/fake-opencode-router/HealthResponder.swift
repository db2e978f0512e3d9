import Hummingbird
import OpenWorkJSON
import Synchronization

/// The router's health server (no auth): `GET /health`, and `GET /__fake/state` with
/// `FAKE_OPENCODE_ROUTER_INTROSPECTION=1`.
struct HealthResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let options: RouterOptions
    let probe: OpenCodeProbe
    let processID: Int32
    let record = HealthRecord()

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        switch (request.method, request.uri.path) {
        case (.get, "/health"):
            record.countRequest()
            return await health()
        case (.get, "/__fake/state") where options.knobs.introspection:
            return Self.json(200, state)
        default:
            return Self.json(404, ["ok": false, "error": "Not found"])
        }
    }

    /// `{ok, opencode: {url, healthy, version?}, channels: {telegram, whatsapp, slack}, config: {groupsEnabled}}`:
    /// 200 when ok, else 503. `ok` is opencode's health unless a knob says unhealthy.
    private func health() async -> Response {
        let answer = await probe.check()
        var opencode: JSONValue = ["url": .string(options.opencodeURL), "healthy": .bool(answer.healthy)]
        if let version = answer.version { opencode["version"] = .string(version) }
        let ok = answer.healthy && !options.knobs.unhealthy && !turnedUnhealthy
        return Self.json(
            ok ? 200 : 503,
            [
                "ok": .bool(ok), "opencode": opencode,
                "channels": ["telegram": false, "whatsapp": false, "slack": false],
                "config": ["groupsEnabled": false],
            ])
    }

    private var turnedUnhealthy: Bool {
        guard let after = options.knobs.unhealthyAfter, let since = record.listeningSince else { return false }
        return ContinuousClock.now - since >= after
    }

    private var state: JSONValue {
        func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return [
            "argv": .array(options.arguments.map(JSONValue.string)), "pid": .integer(Int64(processID)),
            "workspace": .string(options.workspace), "opencodeUrl": .string(options.opencodeURL),
            "directory": .string(options.directory), "dataDir": string(options.dataDirectory),
            "username": string(options.username), "hasPassword": .bool(options.password != nil),
            "healthRequests": .integer(Int64(record.requests)),
        ]
    }

    static func json(_ status: Int, _ value: JSONValue) -> Response {
        let bytes = (try? value.serializedBytes(.compact)) ?? Array(#"{"ok":false}"#.utf8)
        return Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// What the health server remembers: when it started listening (`UNHEALTHY_AFTER_MS` counts from there) and
/// how many `GET /health` it answered.
final class HealthRecord: Sendable {
    private struct Values {
        var listeningSince: ContinuousClock.Instant?
        var requests = 0
    }

    private let values = Mutex(Values())

    func markListening() { values.withLock { $0.listeningSince = .now } }

    func countRequest() { values.withLock { $0.requests += 1 } }

    var listeningSince: ContinuousClock.Instant? { values.withLock { $0.listeningSince } }

    var requests: Int { values.withLock { $0.requests } }
}
