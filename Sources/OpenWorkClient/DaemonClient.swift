import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkCore
public import OpenWorkJSON
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Talks to the daemon of a data directory: finds it (state file record, confirmed by `GET /health` from the
/// same pid and data directory) and sends it calls with the token from `daemon-token`.
///
/// Does not start a daemon; ``DaemonLauncher`` does.
public struct DaemonClient: Sendable {
    public let dataDirectory: DataDirectory

    public init(dataDirectory: DataDirectory) {
        self.dataDirectory = dataDirectory
    }

    /// The daemon serving this data directory now, with its health, or `nil` when none answers.
    public func running() async -> (record: DaemonRecord, health: JSONValue)? {
        guard let record = DaemonRecord.read(in: dataDirectory), record.isAlive,
            let health = try? await request(
                record, method: "GET", path: "/health", authorized: false, timeout: .seconds(5)),
            health.status == 200, health.body["pid"]?.int64Value == Int64(record.pid),
            health.body["dataDir"]?.stringValue == dataDirectory.path
        else { return nil }
        return (record, health.body)
    }

    /// The running daemon, or `daemon_not_running`.
    public func requireRunning() async throws(OpenWorkError) -> (record: DaemonRecord, health: JSONValue) {
        guard let running = await running() else {
            throw OpenWorkError(
                .daemonNotRunning, "the openwork daemon is not running for \(dataDirectory.path)",
                details: ["dataDir": .string(dataDirectory.path)])
        }
        return running
    }

    /// One JSON-RPC call through `POST /rpc`; an RPC error becomes an `OpenWorkError` with its kind. `timeout`
    /// is a hang deadline (`host.start` waits for services that may take minutes to start).
    public func call(
        _ method: String, _ params: JSONValue? = nil, record: DaemonRecord, timeout: Duration = .seconds(120)
    ) async throws(OpenWorkError) -> JSONValue {
        var message: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method)]
        if let params { message["params"] = params }
        let reply = try await send(record, method: "POST", path: "/rpc", body: message, timeout: timeout)
        if let error = reply.body["error"] {
            var details = error["data"]?.objectValue ?? [:]
            let kind = details.removeValue(forKey: "kind")?.stringValue ?? "internal_error"
            throw OpenWorkError(
                .init(rawValue: kind), error["message"]?.stringValue ?? "the daemon refused the call",
                details: details)
        }
        guard let result = reply.body["result"] else {
            throw OpenWorkError(.daemonUnreachable, "the daemon answered without a result (HTTP \(reply.status))")
        }
        return result
    }

    /// Sends one JSON-RPC text as it is to `POST /rpc` and returns the daemon's answer bytes (`nil` when there
    /// is none: a notification). A refusal (token, size) or an unreachable daemon is an `OpenWorkError`.
    public func forwardRPC(_ bytes: [UInt8], record: DaemonRecord) async throws(OpenWorkError) -> [UInt8]? {
        do {
            var request = HTTPClientRequest(url: record.baseURL + "/rpc")
            request.method = .POST
            try authorize(&request)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: bytes))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
            let body = Array(buffer: try await response.body.collect(upTo: 64 << 20))
            switch response.status.code {
            case 200: return body
            case 204: return nil
            default:
                throw Self.refusal(body, status: response.status.code, of: "the call")
            }
        } catch {
            throw Self.unreachable(error, record)
        }
    }

    /// Follows `GET /events` until the daemon ends the stream: `onSubscribed` once the stream is open, then
    /// `onEvent` for each event object, in order.
    public func followEvents(
        types: [String]?, record: DaemonRecord, onSubscribed: @Sendable () -> Void,
        onEvent: @Sendable (JSONValue) -> Void
    ) async throws(OpenWorkError) {
        do {
            var path = "/events"
            if let types, !types.isEmpty {
                path +=
                    "?types="
                    + (types.joined(separator: ",").addingPercentEncoding(
                        withAllowedCharacters: .alphanumerics.union(.init(charactersIn: ".*,_-"))) ?? "")
            }
            var request = HTTPClientRequest(url: record.baseURL + path)
            try authorize(&request)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            guard response.status == .ok else {
                let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
                throw Self.refusal(body, status: response.status.code, of: "the event stream")
            }
            onSubscribed()
            var parser = ServerSentEventParser()
            for try await chunk in response.body {
                for event in parser.feed(chunk.readableBytesView) { onEvent(event) }
            }
        } catch let error as OpenWorkError {
            throw error
        } catch {
            return
        }
    }

    /// Asks the daemon to stop (`POST /shutdown`). A connection closed before the answer counts as accepted.
    public func requestShutdown(_ record: DaemonRecord) async throws(OpenWorkError) {
        do {
            let reply = try await request(record, method: "POST", path: "/shutdown", authorized: true)
            guard reply.status == 200 else {
                throw OpenWorkError(
                    .daemonUnreachable, reply.body["error"]?.stringValue ?? "shutdown refused (HTTP \(reply.status))")
            }
        } catch let error as OpenWorkError {
            throw error
        } catch {
            return
        }
    }

    private func send(
        _ record: DaemonRecord, method: String, path: String, body: JSONValue, timeout: Duration = .seconds(120)
    ) async throws(OpenWorkError) -> (status: Int, body: JSONValue) {
        do {
            return try await request(
                record, method: method, path: path, authorized: true, body: body, timeout: timeout)
        } catch {
            throw Self.unreachable(error, record)
        }
    }

    /// Adds the bearer token from `daemon-token` (never logged, never in the URL).
    private func authorize(_ request: inout HTTPClientRequest) throws(OpenWorkError) {
        request.headers.add(name: "Authorization", value: try authorization())
    }

    private func authorization() throws(OpenWorkError) -> String {
        guard let token = try DaemonToken.load(from: DaemonToken.path(inDataDirectory: dataDirectory.path)) else {
            throw OpenWorkError(.daemonNotRunning, "no daemon token in \(dataDirectory.path); is the daemon running?")
        }
        return "Bearer \(token.value)"
    }

    /// The daemon's own refusal (`{"error":…,"kind":…}`) as an error, or a generic one when the body says none.
    private static func refusal(_ body: [UInt8], status: UInt, of what: String) -> OpenWorkError {
        let json = try? JSONValue(parsing: body)
        return OpenWorkError(
            .init(rawValue: json?["kind"]?.stringValue ?? "daemon_unreachable"),
            json?["error"]?.stringValue ?? "the daemon refused \(what) (HTTP \(status))")
    }

    /// Our own errors as they are; anything else (connection refused, timeout) as `daemon_unreachable`.
    /// `details.sent` is false when the request certainly did not reach the daemon (safe to send again).
    private static func unreachable(_ error: any Error, _ record: DaemonRecord) -> OpenWorkError {
        if let error = error as? OpenWorkError { return error }
        var details: [String: JSONValue] = ["baseUrl": .string(record.baseURL)]
        if let failure = error as? LoopbackHTTP.Failure, !failure.mayHaveArrived { details["sent"] = false }
        return OpenWorkError(
            .daemonUnreachable, "cannot reach the daemon at \(record.baseURL): \(OpenCodeClient.describe(error))",
            details: details)
    }

    /// One request over ``LoopbackHTTP`` (a one-shot call should not start an event-loop group).
    private func request(
        _ record: DaemonRecord, method: String, path: String, authorized: Bool, body: JSONValue? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> (status: Int, body: JSONValue) {
        var headers: [(String, String)] = []
        if authorized { headers.append(("Authorization", try authorization())) }
        var bytes: [UInt8] = []
        if let body {
            headers.append(("Content-Type", "application/json"))
            bytes = try body.serializedBytes(.compact)
        }
        let response = try await LoopbackHTTP.exchange(
            record.baseURL, method: method, target: path, headers: headers, body: bytes, timeout: timeout)
        let json = response.body.isEmpty ? JSONValue.null : try JSONValue(parsing: response.body)
        return (response.status, json)
    }
}
