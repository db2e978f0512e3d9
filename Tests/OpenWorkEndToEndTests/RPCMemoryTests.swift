import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// `openwork rpc` after lines near the 16 MiB limit: small answers, and the memory given back.
@Suite("openwork rpc with huge lines", .timeLimit(.minutes(3)))
struct RPCMemoryTests {
    /// The resident set of `pid` in bytes, from `/proc/PID/status`.
    static func residentBytes(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes * 1_024
    }

    static let huge = String(repeating: "x", count: 15 << 20)

    @Test("an invalid request with a 15 MiB id is answered with id null and nothing of the id echoed")
    func hugeIDNotEchoed() async throws {
        let rpc = try RPCProcess()
        try await rpc.sendLine(#"{"jsonrpc":"2.0","id":"\#(Self.huge)","method":"health"}"#)
        let line = try #require(try await rpc.process.readLine(within: .seconds(60)))
        #expect(line.utf8.count < 16_384, "answer of \(line.utf8.count) bytes")
        let answer = try JSONValue(parsing: line)
        #expect(answer["id"] == .null)
        #expect(answer["error"]?["code"] == -32_600)
        #expect(answer["error"]?["data"]?["kind"] == "invalid_request")
        #expect(try await rpc.call("health")["result"]?["pid"] != nil, "the session goes on")
    }

    @Test("an unknown 15 MiB method name comes back cut to a few KiB, under the request's own id")
    func hugeMethodNotEchoed() async throws {
        let rpc = try RPCProcess()
        try await rpc.sendLine(#"{"jsonrpc":"2.0","id":7,"method":"\#(Self.huge)"}"#)
        let line = try #require(try await rpc.process.readLine(within: .seconds(60)))
        #expect(line.utf8.count < 16_384, "answer of \(line.utf8.count) bytes")
        let answer = try JSONValue(parsing: line)
        #expect(answer["id"] == 7)
        #expect(answer["error"]?["data"]?["kind"] == "method_not_found")
        let method = try #require(answer["error"]?["data"]?["method"]?.stringValue)
        #expect(method.hasSuffix("… (\(15 << 20) bytes)"))
    }

    @Test("after 8 lines of 15 MiB the process returns to within 50 MiB of its idle size")
    func memoryGivenBack() async throws {
        let rpc = try RPCProcess()
        let pid = rpc.process.pid
        #expect(try await rpc.call("health")["result"] != nil)
        let idle = try Self.residentBytes(of: pid)
        for index in 0..<8 {
            if index.isMultiple(of: 2) {
                try await rpc.sendLine(#"{"jsonrpc":"2.0","id":"\#(Self.huge)","method":"health"}"#)
            } else {
                try await rpc.sendLine(#"{"jsonrpc":"2.0","id":\#(index),"method":"\#(Self.huge)"}"#)
            }
        }
        for _ in 0..<8 {
            let line = try #require(try await rpc.process.readLine(within: .seconds(60)))
            #expect(line.utf8.count < 16_384)
        }
        let peakSeen = try Self.residentBytes(of: pid)
        let deadline = ContinuousClock.now + .seconds(30)
        var current = peakSeen
        while current > idle + (50 << 20), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            current = try Self.residentBytes(of: pid)
        }
        #expect(
            current <= idle + (50 << 20),
            "idle \(idle >> 20) MiB, after the burst \(peakSeen >> 20) MiB, now \(current >> 20) MiB")
        #expect(try await rpc.call("health")["result"] != nil, "the session goes on")
    }
}
