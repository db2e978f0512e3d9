import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The registry's durability and concurrency promises, tested with real `openwork rpc` processes.
@Suite("Registry across processes", .timeLimit(.minutes(5)))
struct RegistryProcessTests {
    static func workspaces(in dataDir: String) throws -> [String] {
        let path = dataDir + "/openwork-orchestrator-state.json"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let json = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        return json["workspaces"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
    }

    @Test("SIGKILL at random moments while saving: the file always parses and holds an acknowledged generation")
    func crashSafety() async throws {
        let root = try TemporaryDirectory("crash")
        let total = 40
        let directories = try (0..<total).map { try root.makeDirectories("w/d\($0)")[0] }
        let dataDir = root.appending("data")
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for round in 0..<200 {
            let before = try Self.workspaces(in: dataDir)
            #expect(before == Array(directories.prefix(before.count)), "round \(round): not a prefix")
            // Grow the registry to `total`, then shrink it, so rounds both add and remove.
            let adding = before.count < total && (before.isEmpty || round % 6 < 4)
            let targets = adding ? Array(directories[before.count...]) : Array(before.reversed())
            let rpc = try RPCProcess(arguments: ["--data-dir", dataDir])
            // One request at a time on the wire keeps the generations a strict sequence.
            let acknowledged = Locked(0)
            let driver = Task {
                for target in targets {
                    let method = adding ? "workspace.add" : "workspace.remove"
                    let params: JSONValue = adding ? ["path": .string(target)] : ["id": .string(target)]
                    guard let answer = try? await rpc.call(method, params, within: .seconds(30)),
                        answer["result"] != nil
                    else { return }
                    acknowledged.withLock { $0 += 1 }
                }
            }
            try await Task.sleep(for: .microseconds(Int.random(in: 0...40_000, using: &generator)))
            rpc.process.signal(SIGKILL)
            _ = try await rpc.process.waitForExit(within: .seconds(30))
            kills += 1
            await driver.value
            let after = try Self.workspaces(in: dataDir)
            let acked = acknowledged.value
            #expect(after == Array(directories.prefix(after.count)), "round \(round): \(after.count) not a prefix")
            if adding {
                #expect(after.count >= before.count + acked, "round \(round): lost an acknowledged add")
                #expect(after.count <= before.count + acked + 1)
            } else {
                #expect(after.count <= before.count - acked, "round \(round): lost an acknowledged remove")
                #expect(after.count >= before.count - acked - 1)
            }
        }
        #expect(kills == 200)
    }

    @Test("8 processes × 50 mutations at once: every update lands")
    func concurrentProcesses() async throws {
        let root = try TemporaryDirectory("concurrent")
        let dataDir = root.appending("data")
        var expected: Set<String> = []
        for process in 0..<8 {
            for index in 0..<50 { expected.insert(try root.makeDirectories("w/p\(process)-\(index)")[0]) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for process in 0..<8 {
                group.addTask {
                    let rpc = try RPCProcess(arguments: ["--data-dir", dataDir])
                    // Pipelined: all 50 requests are in flight in this process at once.
                    for index in 0..<50 {
                        try await rpc.send([
                            "jsonrpc": "2.0", "id": .integer(Int64(index)), "method": "workspace.add",
                            "params": ["path": .string(root.appending("w/p\(process)-\(index)"))],
                        ])
                    }
                    for _ in 0..<50 {
                        let answer = try await rpc.readMessage(within: .seconds(60))
                        #expect(answer["result"]?["created"] == true, "\(answer)")
                    }
                    rpc.process.closeInput()
                    #expect(try await rpc.process.waitForExit(within: .seconds(10)).code == 0)
                }
            }
            try await group.waitForAll()
        }
        #expect(Set(try Self.workspaces(in: dataDir)) == expected)
    }

    @Test("a write that fails (file size limit, which stops root too) returns an error and leaves the state intact")
    func failingWrite() async throws {
        let root = try TemporaryDirectory("readonly")
        let dataDir = root.appending("data")
        let seed = try RPCProcess(arguments: ["--data-dir", dataDir])
        for index in 0..<10 {
            let path = try root.makeDirectories("w/d\(index)")[0]
            #expect(try await seed.call("workspace.add", ["path": .string(path)])["result"] != nil)
        }
        seed.process.closeInput()
        _ = try await seed.process.waitForExit()
        let statePath = dataDir + "/openwork-orchestrator-state.json"
        let before = try Data(contentsOf: URL(fileURLWithPath: statePath))
        #expect(before.count > 1_024)

        // RLIMIT_FSIZE of 1 KiB: writing the (> 1 KiB) state file fails with EFBIG, whatever the user.
        var environment = ProcessInfo.processInfo.environment
        environment["OPENWORK"] = BuiltProducts.path(of: "openwork")
        environment["DATA"] = dataDir
        let limited = try TestProcess(
            "/bin/bash", ["-c", #"trap '' XFSZ; ulimit -f 1; exec "$OPENWORK" rpc --data-dir "$DATA""#],
            environment: environment)
        let path = try root.makeDirectories("w/new")[0]
        try await limited.writeLine(#"{"jsonrpc":"2.0","id":1,"method":"workspace.add","params":{"path":"\#(path)"}}"#)
        let answer = try JSONValue(parsing: try #require(try await limited.readLine()))
        #expect(answer["error"]?["data"]?["kind"] == "state_write_failed", "\(answer)")
        #expect(answer["error"]?["message"]?.stringValue?.contains("not changed") == true)
        try await limited.writeLine(#"{"jsonrpc":"2.0","id":2,"method":"workspace.list"}"#)
        let list = try JSONValue(parsing: try #require(try await limited.readLine()))
        #expect(list["result"]?["workspaces"]?.arrayValue?.count == 10)
        limited.closeInput()
        #expect(try await limited.waitForExit().code == 0)

        #expect(try Data(contentsOf: URL(fileURLWithPath: statePath)) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dataDir).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
