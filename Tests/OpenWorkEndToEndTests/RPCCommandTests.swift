import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `openwork rpc` as a user runs it: the built binary, real pipes.
@Suite("openwork rpc over stdio", .timeLimit(.minutes(2)))
struct RPCCommandTests {
    static let openwork = BuiltProducts.path(of: "openwork")

    @Test("--version prints the version and --help the usage")
    func versionAndHelp() async throws {
        let version = try TestProcess(Self.openwork, ["--version"])
        #expect(try await version.readLine() == "0.1.0")
        #expect(try await version.waitForExit() == .exited(0))
        let help = try TestProcess(Self.openwork, ["--help"])
        #expect(try await help.readRemainingOutput().contains("rpc"))
        #expect(try await help.waitForExit().code == 0)
    }

    @Test("rpc.discover piped in answers with one line holding the OpenRPC document, then exits 0")
    func discoverOneLine() async throws {
        let rpc = try RPCProcess()
        try await rpc.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}"#)
        rpc.process.closeInput()
        let output = try await rpc.process.readRemainingOutput()
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1)
        let response = try JSONValue(parsing: String(lines[0]))
        #expect(response["result"]?["openrpc"] == "1.3.2")
        let names = response["result"]?["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names?.contains("health") == true)
        #expect(names?.contains("test.sleep") == false)
        #expect(try await rpc.process.waitForExit(within: .seconds(30)).code == 0)
    }

    @Test("health reports version, pid and uptime")
    func health() async throws {
        let rpc = try RPCProcess()
        let response = try await rpc.call("health")
        #expect(response["result"]?["version"] == "0.1.0")
        #expect(response["result"]?["pid"]?.intValue == Int(rpc.process.pid))
        #expect(response["result"]?["uptimeMs"]?.intValue != nil)
    }

    @Test("test methods are unreachable unless OPENWORK_ENABLE_TEST_METHODS is set")
    func testMethodsGated() async throws {
        let plain = try RPCProcess(environment: ["OPENWORK_ENABLE_TEST_METHODS": ""])
        #expect(try await plain.call("test.sleep", ["ms": 1])["error"]?["code"] == -32_601)
        let enabled = try RPCProcess(environment: ["OPENWORK_ENABLE_TEST_METHODS": "1"])
        #expect(try await enabled.call("test.sleep", ["ms": 1])["result"] == ["slept": 1])
    }

    @Test("input fed one byte at a time is answered exactly like whole lines")
    func byteAtATime() async throws {
        let transcript = [
            #"{"jsonrpc":"2.0","id":1,"method":"health"}"#, "not json", "[]",
            #"[{"jsonrpc":"2.0","id":2,"method":"nope"},{"jsonrpc":"2.0","method":"health"}]"#,
            #"{"jsonrpc":"2.0","method":"health"}"#, #"{"jsonrpc":"2.0","id":"é","method":"nope"}"#,
        ]
        func run(_ chunks: [[UInt8]]) async throws -> [JSONValue] {
            let rpc = try RPCProcess()
            for chunk in chunks { try await rpc.process.write(chunk) }
            rpc.process.closeInput()
            let output = try await rpc.process.readRemainingOutput()
            return try output.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
                .map(Self.withoutVolatile)
        }
        let bytes = Array((transcript.joined(separator: "\r\n") + "\n").utf8)
        let whole = try await run([bytes])
        let single = try await run(bytes.map { [$0] })
        #expect(whole.count == 5)
        #expect(Set(single) == Set(whole))
    }

    @Test("a 64 MiB line is refused with line_too_long and the session goes on")
    func hugeLine() async throws {
        let rpc = try RPCProcess()
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: 64 << 20) + Array("1\n".utf8)
        try await rpc.process.write(huge)
        let refusal = try await rpc.readMessage(within: .seconds(30))
        #expect(refusal["error"]?["code"] == -32_600)
        #expect(refusal["error"]?["data"]?["kind"] == "line_too_long")
        #expect(refusal["id"] == .null)
        #expect(try await rpc.call("health")["result"]?["ok"] == true)
        let resident = try #require(rpc.process.residentMemoryBytes())
        #expect(resident < 200 << 20, "resident \(resident) bytes after a 64 MiB line")
    }

    @Test("a smaller --max-line-bytes is honoured")
    func configuredLimit() async throws {
        let rpc = try RPCProcess(arguments: ["--max-line-bytes", "64"])
        try await rpc.sendLine(
            #"{"jsonrpc":"2.0","id":1,"method":"health","params":{}}"# + String(repeating: " ", count: 64))
        #expect(try await rpc.readMessage()["error"]?["data"]?["kind"] == "line_too_long")
        #expect(try await rpc.call("health")["result"]?["ok"] == true)
    }

    @Test("10,000 malformed lines are each answered per spec and memory stays flat")
    func malformedFlood() async throws {
        let rpc = try RPCProcess()
        var generator = SystemRandomNumberGenerator()
        func junk(_ count: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            for index in 0..<count {
                switch index % 4 {
                case 0: bytes += Array("{\"jsonrpc\":\"2.0\",\"id\":\(index),".utf8)
                case 1: bytes += Array("[1,2".utf8)
                case 2: bytes += (0..<40).map { _ in UInt8.random(in: 0x21...0xFF, using: &generator) }
                default: bytes += Array("\"\\x\"".utf8)
                }
                bytes.append(10)
            }
            return bytes
        }
        func expectAnswers(_ count: Int) async throws {
            for _ in 0..<count {
                let answer = try await rpc.readMessage()
                #expect(answer["id"] == .null)
                #expect(answer["error"]?["code"] == -32_700)
            }
        }
        try await rpc.process.write(junk(1_000))
        try await expectAnswers(1_000)
        let before = try #require(rpc.process.residentMemoryBytes())
        for _ in 0..<9 {
            try await rpc.process.write(junk(1_000))
            try await expectAnswers(1_000)
        }
        let after = try #require(rpc.process.residentMemoryBytes())
        #expect(after - before < 8 << 20, "RSS grew from \(before) to \(after)")
        #expect(try await rpc.call("health")["result"]?["ok"] == true)
    }

    @Test("a slow request does not hold up a fast one")
    func concurrentRequests() async throws {
        let rpc = try RPCProcess(environment: ["OPENWORK_ENABLE_TEST_METHODS": "1"])
        // The slow request would take a minute: only order is asserted, never a timing.
        try await rpc.sendLine(#"{"jsonrpc":"2.0","id":"slow","method":"test.sleep","params":{"ms":60000}}"#)
        try await rpc.sendLine(#"{"jsonrpc":"2.0","id":"fast","method":"health"}"#)
        #expect(try await rpc.readMessage(within: .seconds(30))["id"] == "fast")
        try await rpc.sendLine(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"slow"}}"#)
        let slow = try await rpc.readMessage(within: .seconds(30))
        #expect(slow["id"] == "slow")
        #expect(slow["error"]?["code"] == -32_800)
    }

    @Test("$/cancelRequest answers the cancelled request with -32800")
    func cancel() async throws {
        let rpc = try RPCProcess(environment: ["OPENWORK_ENABLE_TEST_METHODS": "1"])
        try await rpc.sendLine(#"{"jsonrpc":"2.0","id":7,"method":"test.sleep","params":{"ms":60000}}"#)
        try await rpc.sendLine(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}"#)
        var answer = try await rpc.readMessage(within: .seconds(30))
        if answer["error"] == nil {
            Issue.record("unexpected \(answer)")
            answer = try await rpc.readMessage(within: .seconds(30))
        }
        #expect(answer["id"] == 7)
        #expect(answer["error"]?["code"] == -32_800)
    }

    @Test("EOF lets in-flight requests finish, then exits 0")
    func eofDrains() async throws {
        let rpc = try RPCProcess(environment: ["OPENWORK_ENABLE_TEST_METHODS": "1"])
        try await rpc.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"test.sleep","params":{"ms":300}}"#)
        rpc.process.closeInput()
        #expect(try await rpc.readMessage()["result"] == ["slept": 300])
        #expect(try await rpc.process.waitForExit(within: .seconds(30)).code == 0)
    }

    @Test("EOF with a request past the drain deadline answers it -32800 and exits 0 promptly")
    func eofDeadline() async throws {
        let rpc = try RPCProcess(
            arguments: ["--drain-timeout-ms", "200"],
            environment: ["OPENWORK_ENABLE_TEST_METHODS": "1"]
        )
        try await rpc.sendLine(#"{"jsonrpc":"2.0","id":1,"method":"test.sleep","params":{"ms":60000}}"#)
        rpc.process.closeInput()
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await rpc.readMessage()["error"]?["code"] == -32_800)
        #expect(try await rpc.process.waitForExit(within: .seconds(30)).code == 0)
        #expect(clock.now - start < .seconds(50), "answered long before the 60 s sleep would have ended")
    }

    @Test("EOF on an idle session exits 0 within a second")
    func eofIdle() async throws {
        let rpc = try RPCProcess()
        _ = try await rpc.call("health")
        rpc.process.closeInput()
        #expect(try await rpc.process.waitForExit(within: .seconds(30)).code == 0)
    }

    @Test("a closed stdout (EPIPE) ends the session cleanly, without a crash")
    func closedStdout() async throws {
        let script = """
            yes '{"jsonrpc":"2.0","id":1,"method":"health"}' | head -n 200000 | "$OPENWORK" rpc | head -n 1 >/dev/null
            echo "${PIPESTATUS[2]}"
            """
        var environment = ProcessInfo.processInfo.environment
        environment["OPENWORK"] = Self.openwork
        let data = try TemporaryDirectory("epipe")
        environment["OPENWORK_DATA_DIR"] = data.path
        let shell = try TestProcess("/bin/bash", ["-c", script], environment: environment)
        #expect(try await shell.readLine(within: .seconds(60)) == "0")
        #expect(try await shell.waitForExit(within: .seconds(10)).code == 0)
        #expect(!shell.errorOutput.contains("crashed"), "\(shell.errorOutput)")
    }

    /// Answers with the fields that change between runs (pid, uptime) removed.
    static func withoutVolatile(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            for key in ["pid", "uptimeMs", "startedAt", "dataDir"] { members[key] = nil }
            return .object(members.mapValues(withoutVolatile))
        case .array(let elements):
            return .array(elements.map(withoutVolatile))
        default:
            return value
        }
    }
}
