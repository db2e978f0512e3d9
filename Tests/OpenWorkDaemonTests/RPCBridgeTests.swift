import Foundation
import NIOHTTP1
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `openwork rpc` when a daemon owns the data directory: stdio bridged to the daemon's control plane.
@Suite("openwork rpc bridge", .timeLimit(.minutes(3)))
struct RPCBridgeTests {
    /// Sends one line and reads the next line as JSON.
    private func call(_ process: TestProcess, _ line: String) async throws -> JSONValue {
        try await process.writeLine(line)
        let answer = try #require(try await process.readLine(within: .seconds(20)), "no answer to \(line)")
        return try JSONValue(parsing: answer)
    }

    /// Puts the fixture's data directory on tmpfs (a symlink to a fresh directory in /dev/shm) when there is
    /// one: the daemon's fsyncs then cost nothing, so this test does not stall the timing-sensitive tests that
    /// run beside it on a disk-backed temp directory. Returns the directory to remove afterwards.
    private static func dataOnTmpfs(_ fixture: DaemonFixture) throws -> String? {
        var template = Array("/dev/shm/openwork-rpc-bridge.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard let made else { return nil }
        let target = String(cString: made)
        try FileManager.default.createSymbolicLink(atPath: fixture.dataDirectory, withDestinationPath: target)
        return target
    }

    /// One daemon for every check (daemon starts are the expensive part): `--connect` before it runs, the
    /// bridge, `--embedded` and `status --openwork-url` while it runs.
    @Test("bridges calls and events to the daemon; EOF leaves it running; --connect and --embedded")
    func bridges() async throws {
        let fixture = try DaemonFixture("rpc-bridge")
        let directories = try fixture.root.makeDirectories("w/alpha", "w/beta")
        let tmpfs = try Self.dataOnTmpfs(fixture)
        defer { if let tmpfs { try? FileManager.default.removeItem(atPath: tmpfs) } }
        try await fixture.scoped {
            let connect = try await fixture.openwork(["rpc", "--connect"])
            #expect(connect.exit.code == 1)
            #expect(connect.errors.contains("daemon_not_running"))
            #expect(fixture.daemonProcesses.isEmpty)

            let started = try await fixture.json(["daemon", "start"])
            #expect(started.value["ok"] == true)
            let daemon = try #require(fixture.daemonProcesses.first)
            let bridge = try TestProcess(
                DaemonFixture.openwork, ["rpc", "--data-dir", fixture.dataDirectory], environment: fixture.environment)

            let added = try await call(
                bridge, #"{"jsonrpc":"2.0","id":1,"method":"workspace.add","params":{"path":"\#(directories[0])"}}"#)
            let id = try #require(added["result"]?["workspace"]?["id"]?.stringValue)
            #expect(added["id"] == 1)
            let viaHTTP = try await fixture.http(
                .POST, "/rpc", ["jsonrpc": "2.0", "id": 9, "method": "workspace.list"])
            #expect(viaHTTP.body["result"]?["workspaces"]?.arrayValue?.count == 1, "the daemon's registry")
            let listed = try await call(bridge, #"{"jsonrpc":"2.0","id":2,"method":"workspace.list"}"#)
            #expect(listed["result"]?["workspaces"]?[0]?["id"]?.stringValue == id)

            let path = try await call(
                bridge, #"{"jsonrpc":"2.0","id":3,"method":"workspace.path","params":{"id":"\#(id)"}}"#)
            #expect(path["result"]?["path"]?["directory"]?.stringValue == directories[0])
            let opencode = try await call(bridge, #"{"jsonrpc":"2.0","id":4,"method":"opencode.status"}"#)
            let reported = try await fixture.json(["daemon", "status"]).value["health"]?["opencode"]?["pid"]
            #expect(opencode["result"]?["pid"] != nil)
            #expect(opencode["result"]?["pid"] == reported, "the daemon's opencode serves the bridge")

            try await bridge.writeLine("")
            let parse = try await call(bridge, "{nope")
            #expect(parse["error"]?["code"] == -32700)
            #expect(parse["id"] == .null)

            let subscribed = try await call(
                bridge,
                #"{"jsonrpc":"2.0","id":5,"method":"events.subscribe","params":{"types":["workspace.*"]}}"#)
            #expect(subscribed["id"] == 5)
            #expect(subscribed["result"]?["subscribed"] == true)
            #expect(try await fixture.json(["workspace", "add", directories[1]]).value["ok"] == true)
            let event = try JSONValue(parsing: try #require(try await bridge.readLine(within: .seconds(10))))
            #expect(event["method"] == "event")
            #expect(event["params"]?["type"] == "workspace.added")
            #expect(event["params"]?["workspaceId"]?.stringValue?.hasPrefix("ws-") == true)

            bridge.closeInput()
            #expect(try await bridge.waitForExit(within: .seconds(10)).code == 0)
            #expect(fixture.daemonProcesses == [daemon], "EOF on the bridge does not stop the daemon")
            #expect(try await fixture.json(["status"]).value["workspaceCount"] == 2)

            let embedded = try await fixture.openwork(["rpc", "--embedded"])
            #expect(embedded.exit.code == 1)
            #expect(embedded.errors.contains("data_dir_locked"))
            #expect(embedded.errors.split(separator: "\n").count == 1)

            let baseURL = try #require(started.value["baseUrl"]?.stringValue)
            let up = try await fixture.json(["status", "--openwork-url", baseURL])
            #expect(up.exit.code == 0)
            #expect(up.value["openwork"]?["health"]?["pid"] == started.value["pid"])

            #expect(fixture.daemonProcesses == [daemon])
            #expect(try await fixture.json(["daemon", "stop"]).value["ok"] == true)
        }
    }
}
