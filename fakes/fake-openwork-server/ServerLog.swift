import FakeSupport
import Foundation
import OpenWorkJSON

/// The fake's log on stderr: one line per request, `GET /health 200 1ms`, or with `--log-format json` one
/// OpenTelemetry-shaped record per line (`timeUnixNano`, `severityText`, `severityNumber`, `body`, `attributes`,
/// `resource`), as the OpenWork server writes them.
///
/// Only the method, the path (without its query), the status and the auth kind are logged: never a header, a
/// body or a query string, so no secret can reach the log.
struct ServerLog: Sendable {
    enum Level: String, Sendable {
        case info = "INFO"
        case warn = "WARN"
        case error = "ERROR"

        var number: Int64 {
            switch self {
            case .info: 9
            case .warn: 13
            case .error: 17
            }
        }
    }

    let format: ServerOptions.LogFormat
    let resource: JSONValue
    let baseAttributes: JSONValue

    init(options: ServerOptions, processID: Int32) {
        format = options.logFormat
        let runID = options.runID ?? "fake-\(processID)"
        var resource: JSONValue = [
            "service.name": "openwork-server", "service.version": .string(options.knobs.version),
            "service.instance.id": .string(runID),
        ]
        for (key, value) in Self.pairs(options.resourceAttributes ?? "") { resource[key] = .string(value) }
        self.resource = resource
        baseAttributes = ["run.id": .string(runID), "process.pid": .integer(Int64(processID))]
    }

    /// `k=v,k=v` (OTEL_RESOURCE_ATTRIBUTES) as pairs; items without `=` are skipped.
    static func pairs(_ text: String) -> [(String, String)] {
        text.split(separator: ",").compactMap { item in
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            return key.isEmpty ? nil : (key, parts[1].trimmingCharacters(in: .whitespaces))
        }
    }

    func request(method: String, path: String, status: Int, milliseconds: Int64, auth: String) {
        let level: Level = status >= 500 ? .error : status >= 400 ? .warn : .info
        write(
            level, "\(method) \(path) \(status) \(milliseconds)ms",
            attributes: [
                "method": .string(method), "path": .string(path), "status": .integer(Int64(status)),
                "durationMs": .integer(milliseconds), "auth": .string(auth),
            ])
    }

    func write(_ level: Level, _ message: String, attributes: JSONValue = [:]) {
        guard format == .json else {
            StandardStreams.error(message)
            return
        }
        let nanoseconds = Int64(Date().timeIntervalSince1970 * 1_000) * 1_000_000
        let record: JSONValue = [
            "timeUnixNano": .string(String(nanoseconds)), "severityText": .string(level.rawValue),
            "severityNumber": .integer(level.number), "body": .string(message),
            "attributes": baseAttributes.merging(attributes), "resource": resource,
        ]
        if let line = try? record.serialized(.compact) { StandardStreams.error(line) }
    }
}
