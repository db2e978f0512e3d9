import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

/// A data directory for daemons started through the built `openwork`, and the guarantee that every process
/// they started is gone afterwards (daemons, their opencode), even when the test failed.
final class DaemonFixture: Sendable {
    static let openwork = BuiltProducts.path(of: "openwork")

    let root: TemporaryDirectory
    let dataDirectory: String

    init(_ label: String = "daemon") throws {
        root = try TemporaryDirectory(label)
        dataDirectory = root.appending("data")
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENWORK_DATA_DIR"] = nil
        environment["OPENWORK_DAEMON_PORT"] = nil
        environment["OPENWORK_OPENCODE_BIN"] = FakeOpenCode.path
        environment["OPENWORK_OPENCODE_STOP_GRACE_MS"] = "2000"
        // A hang deadline: under load a daemon can take seconds to serve.
        environment["OPENWORK_DAEMON_START_TIMEOUT_MS"] = "60000"
        return environment
    }

    /// Runs `openwork ARGS --data-dir DIR` to completion (90 s at most: a hang deadline).
    func openwork(
        _ arguments: [String], workingDirectory: String? = nil, extraEnvironment: [String: String] = [:]
    ) async throws -> (exit: TestProcess.Exit, output: String, errors: String) {
        let process = try TestProcess(
            Self.openwork, arguments + ["--data-dir", dataDirectory],
            environment: environment.merging(extraEnvironment) { $1 }, workingDirectory: workingDirectory)
        let output = try await process.readRemainingOutput(within: .seconds(90))
        let exit = try await process.waitForExit(within: .seconds(90))
        return (exit, output, process.errorOutput)
    }

    /// `openwork ARGS --json`, parsed.
    func json(
        _ arguments: [String], workingDirectory: String? = nil, extraEnvironment: [String: String] = [:]
    ) async throws -> (exit: TestProcess.Exit, value: JSONValue) {
        let result = try await openwork(
            arguments + ["--json"], workingDirectory: workingDirectory, extraEnvironment: extraEnvironment)
        let line = result.output.split(separator: "\n").last.map(String.init) ?? ""
        guard let value = try? JSONValue(parsing: line) else {
            throw TestProcess.Timeout(description: "not JSON: \(result.output) / \(result.errors)")
        }
        return (result.exit, value)
    }

    var baseURL: String? { state?["daemon"]?["baseUrl"]?.stringValue }

    var token: String? {
        (try? String(contentsOfFile: dataDirectory + "/daemon-token", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One request to the running daemon with its token; the body parsed as JSON (`null` when empty).
    func http(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil) async throws -> (
        status: Int, body: JSONValue
    ) {
        var request = HTTPClientRequest(url: (baseURL ?? "http://127.0.0.1:1") + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token ?? "")")
        if let body { request.body = .bytes(ByteBuffer(bytes: try body.serializedBytes(.compact))) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = bytes.readableBytes == 0 ? JSONValue.null : try JSONValue(parsing: Array(buffer: bytes))
        return (Int(response.status.code), json)
    }

    var state: JSONValue? {
        guard let data = FileManager.default.contents(atPath: dataDirectory + "/openwork-orchestrator-state.json")
        else { return nil }
        return try? JSONValue(parsing: Array(data))
    }

    /// The pids of every `openwork daemon run` for this data directory.
    var daemonProcesses: [Int32] {
        // The CLI hands the daemon the canonical data directory; the fixture's may go through a link.
        let canonical = DataDirectory(path: dataDirectory).path
        return processes {
            $0.contains("daemon\u{0}run") && ($0.contains(self.dataDirectory) || $0.contains(canonical))
        }
    }

    /// The pids whose command line contains `text` anywhere.
    func commandLines(containing text: String) -> [Int32] {
        processes { $0.contains(text) }
    }

    private func processes(matching: (String) -> Bool) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty,
                !FakeOpenCode.isGone(pid)
            else { return false }
            return matching(String(decoding: data, as: UTF8.self))
        }
    }

    /// Runs `body`, then stops every daemon of this data directory and the opencode it recorded.
    func scoped(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await tearDown()
            throw error
        }
        await tearDown()
    }

    func tearDown() async {
        let opencode = state?["opencode"]?["pid"]?.int64Value.flatMap { Int32(exactly: $0) }
        let daemons = daemonProcesses
        for pid in daemons { kill(pid, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline && !daemons.allSatisfy(FakeOpenCode.isGone) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for pid in daemons where !FakeOpenCode.isGone(pid) { kill(-pid, SIGKILL) }
        if let opencode, !FakeOpenCode.isGone(opencode) { kill(-opencode, SIGKILL) }
    }
}
