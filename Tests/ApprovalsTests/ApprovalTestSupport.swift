import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkJSON
import OpenWorkTesting

/// Small HTTP helper for the tests: JSON in, `(status, JSON)` out, 10 s deadline.
enum HTTP {
    static func send(
        _ method: HTTPMethod, _ url: String, body: JSONValue? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, body: JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try body.serializedBytes()))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        var buffer = try await response.body.collect(upTo: 1 << 20)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return (Int(response.status.code), bytes.isEmpty ? .null : try JSONValue(parsing: bytes))
    }
}

/// A running `fake-openwork-server` (stopped by ``stop()``).
final class FakeOpenWorkServerProcess: Sendable {
    let process: TestProcess
    let baseURL: String
    static let token = "host-token-for-tests"

    init(arguments: [String] = [], token: String = FakeOpenWorkServerProcess.token) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENWORK_HOST_TOKEN"] = token
        environment["FAKE_OPENWORK_INTROSPECTION"] = "1"
        // The fake denies what nobody answered in 30 s; a test that does not test that must not race it on a
        // loaded machine, so it gets 10 minutes unless it says otherwise.
        let timeout = arguments.contains("--approval-timeout-ms") ? [] : ["--approval-timeout-ms", "600000"]
        process = try TestProcess(
            BuiltProducts.path(of: "fake-openwork-server"), ["--port", "0"] + timeout + arguments,
            environment: environment)
        let prefix = "OpenWork server listening on "
        guard let line = try await process.readLine(within: .seconds(60)), line.hasPrefix(prefix) else {
            _ = await process.stop()
            throw TestProcess.Timeout(description: "no listening line; stderr: \(process.errorOutput)")
        }
        baseURL = String(line.dropFirst(prefix.count))
    }

    /// `POST /__fake/approvals`: a pending write approval; returns its id.
    func requestApproval(summary: String = "write notes.md") async throws -> String {
        let answer = try await HTTP.send(
            .POST, baseURL + "/__fake/approvals",
            body: [
                "workspaceId": "ws-0123456789ab", "action": "file.write", "summary": .string(summary),
                "paths": ["notes.md"],
            ])
        guard answer.status == 201, let id = answer.body["approval"]?["id"]?.stringValue else {
            throw TestProcess.Timeout(description: "the fake refused the approval: \(answer)")
        }
        return id
    }

    func state() async throws -> JSONValue { try await HTTP.send(.GET, baseURL + "/__fake/state").body }

    func stop() async { _ = await process.stop() }
}

/// Runs the built `openwork` CLI to completion (private data directory, no daemon unless it starts one).
struct CLIRun {
    var exit: TestProcess.Exit
    var output: String
    var errors: String
    var json: JSONValue { (try? JSONValue(parsing: output.trimmingCharacters(in: .whitespacesAndNewlines))) ?? .null }

    static func run(_ arguments: [String], environment extra: [String: String] = [:], dataDirectory: String? = nil)
        async throws -> CLIRun
    {
        let data = try TemporaryDirectory("approvals-cli")
        var environment = ProcessInfo.processInfo.environment
        environment["OPENWORK_DATA_DIR"] = dataDirectory ?? data.path
        environment["OPENWORK_HOST_TOKEN"] = nil
        environment["OPENWORK_URL"] = nil
        environment.merge(extra) { _, new in new }
        let process = try TestProcess(BuiltProducts.path(of: "openwork"), arguments, environment: environment)
        let output = try await process.readRemainingOutput(within: .seconds(30))
        let exit = try await process.waitForExit(within: .seconds(30))
        return CLIRun(exit: exit, output: output, errors: process.errorOutput)
    }
}

/// An `openwork rpc` session that keeps event notifications apart from answers.
final class EventedRPC: @unchecked Sendable {
    let rpc: RPCProcess
    private var nextID: Int64 = 1_000
    private var events: [JSONValue] = []

    init(arguments: [String] = [], environment: [String: String] = [:]) throws {
        var merged = environment
        merged["OPENWORK_OPENCODE_BIN"] = FakeOpenCode.path
        merged["FAKE_OPENCODE_INTROSPECTION"] = "1"
        merged["OPENWORK_OPENCODE_BACKOFF_FLOOR_MS"] = "50"
        rpc = try RPCProcess(arguments: arguments, environment: merged)
    }

    /// The answer to one request (`result`, or the whole answer when it is an error).
    func call(_ method: String, _ params: JSONValue? = nil, within deadline: Duration = .seconds(30))
        async throws -> JSONValue
    {
        nextID += 1
        let id = nextID
        var request: JSONValue = ["jsonrpc": "2.0", "id": .integer(id), "method": .string(method)]
        if let params { request["params"] = params }
        try await rpc.send(request)
        let end = ContinuousClock.now + deadline
        while true {
            let message = try await rpc.readMessage(within: max(end - ContinuousClock.now, .milliseconds(1)))
            if message["id"] == .integer(id) { return message["result"] ?? message }
            if message["method"] == "event", let event = message["params"] { events.append(event) }
        }
    }

    /// The first event (already received or arriving within `deadline`) of `type` that `matches`; consumed.
    func event(
        _ type: String, within deadline: Duration = .seconds(30), where matches: (JSONValue) -> Bool = { _ in true }
    )
        async throws -> JSONValue
    {
        let end = ContinuousClock.now + deadline
        while true {
            if let index = events.firstIndex(where: { $0["type"]?.stringValue == type && matches($0) }) {
                return events.remove(at: index)
            }
            let message = try await rpc.readMessage(within: max(end - ContinuousClock.now, .milliseconds(1)))
            if message["method"] == "event", let event = message["params"] { events.append(event) }
        }
    }

    /// Every event received so far of `type`.
    func received(_ type: String) -> [JSONValue] { events.filter { $0["type"]?.stringValue == type } }

    func stop() async {
        rpc.process.closeInput()
        if (try? await rpc.process.waitForExit(within: .seconds(20))) == nil { _ = await rpc.process.stop() }
    }
}

/// Asks the fake opencode at `baseURL` for a permission in `directory` (`POST /__fake/permission`).
func askPermission(_ baseURL: String, directory: String, patterns: [String] = ["rm -rf build"]) async throws -> String {
    let answer = try await HTTP.send(
        .POST, baseURL + "/__fake/permission",
        body: [
            "directory": .string(directory), "permission": "bash", "patterns": .array(patterns.map(JSONValue.string)),
        ])
    guard let id = answer.body["id"]?.stringValue else {
        throw TestProcess.Timeout(description: "the fake did not ask: \(answer)")
    }
    return id
}

/// Makes the fake opencode at `baseURL` ask `questions` in `directory` (`POST /__fake/question`; `quiet`: without
/// publishing `question.asked`); returns the request's id.
func askQuestion(
    _ baseURL: String, directory: String, questions: [JSONValue] = [databaseQuestion], quiet: Bool = false
) async throws -> String {
    let answer = try await HTTP.send(
        .POST, baseURL + "/__fake/question",
        body: ["directory": .string(directory), "questions": .array(questions), "quiet": .bool(quiet)])
    guard let id = answer.body["id"]?.stringValue else {
        throw TestProcess.Timeout(description: "the fake did not ask: \(answer)")
    }
    return id
}

/// One question with two options.
let databaseQuestion: JSONValue = [
    "question": "Which database?", "header": "Database",
    "options": [
        ["label": "sqlite", "description": "a file"], ["label": "postgres", "description": "a server"],
    ],
]

/// The answers and rejections the fake opencode at `baseURL` received for `id` (`GET /__fake/state`).
func questionAnswers(_ baseURL: String, _ id: String) async throws -> [JSONValue] {
    let state = try await HTTP.send(.GET, baseURL + "/__fake/state").body
    return (state["questionAnswers"]?.arrayValue ?? []).filter { $0["requestID"] == .string(id) }
}
