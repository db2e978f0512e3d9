import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OpenWorkJSON

/// The OpenWork server's own calls to its opencode (Basic auth from the credentials, `x-opencode-directory`):
/// the version for `/health` and the config for `/workspace/:id/config`.
struct OpenCodeClient: Sendable {
    let state: ServerState

    /// A failed call, as the `details` of a 502 answer.
    struct Failure: Error {
        var code: String
        var message: String
        var details: JSONValue
    }

    /// `version` of opencode's `GET /global/health`, or `nil` when it cannot be reached in 2 s, refuses the
    /// credentials or answers something else.
    func version() async -> String? {
        guard let answer = try? await get("/global/health", deadline: 2) else { return nil }
        return answer["version"]?.stringValue
    }

    /// opencode's `GET /config` for the workspace's directory.
    func config() async throws(Failure) -> JSONValue {
        try await get("/config", deadline: 30)
    }

    private func get(_ path: String, deadline seconds: Int64) async throws(Failure) -> JSONValue {
        guard let url = state.options.opencode.url(path) else {
            throw Failure(
                code: "opencode_unconfigured", message: "OpenCode base URL is missing for this workspace",
                details: ["path": .string(path)])
        }
        var request = HTTPClientRequest(url: url)
        if let authorization = state.options.opencode.authorization {
            request.headers.add(name: "Authorization", value: authorization)
        }
        if let directory = state.opencodeDirectory {
            request.headers.add(name: "x-opencode-directory", value: directory)
        }
        let status: HTTPResponseStatus
        let bytes: [UInt8]
        do {
            let response = try await state.http.execute(request, timeout: .seconds(seconds))
            status = response.status
            bytes = Array(buffer: try await response.body.collect(upTo: 16 << 20))
        } catch {
            throw Failure(
                code: "opencode_unreachable", message: "OpenCode is not reachable",
                details: ["path": .string(path), "error": .string("\(error)")])
        }
        let json = try? JSONValue(parsing: bytes)
        guard status == .ok, let json else {
            throw Failure(
                code: "opencode_request_failed", message: "OpenCode request failed",
                details: [
                    "status": .integer(Int64(status.code)), "path": .string(path),
                    "body": json ?? .string(String(decoding: bytes, as: UTF8.self)),
                ])
        }
        return json
    }
}
