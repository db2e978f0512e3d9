import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// `--log-format`, `--run-id`, `--verbose` of a real `openwork rpc`, with opencode's lines forwarded.
@Suite("Logging through openwork rpc", .timeLimit(.minutes(2)))
struct LoggingProcessTests {
    static let otelLine =
        #"{"timeUnixNano":"1","severityText":"INFO","severityNumber":9,"body":"from opencode","attributes":{}}"#

    /// Runs one session that makes opencode start, and returns stderr's lines once the session ended.
    func session(arguments: [String], environment: [String: String] = [:]) async throws -> [String] {
        let root = try TemporaryDirectory("logging")
        let workspace = try root.makeDirectories("project")[0]
        var environment = environment
        environment["FAKE_OPENCODE_STDERR_NOISE"] = "plain noise from opencode\n" + Self.otelLine
        let rpc = try RPCProcess(
            arguments: ["--opencode-bin", FakeOpenCode.path] + arguments, environment: environment)
        _ = try await rpc.call("workspace.add", ["path": .string(workspace)])
        #expect(try await rpc.call("workspace.path", ["id": .string(workspace)])["result"] != nil)
        rpc.process.closeInput()
        #expect(try await rpc.process.waitForExit(within: .seconds(10)).code == 0)
        return rpc.process.errorOutput.split(separator: "\n").map(String.init)
    }

    @Test("--log-format json: every stderr line is a record with the run id; opencode's lines are forwarded")
    func json() async throws {
        let lines = try await session(arguments: ["--log-format", "json", "--run-id", "run-42"])
        #expect(lines.contains(Self.otelLine), "an OpenTelemetry line of opencode passes through unchanged")
        let records = try lines.filter { $0 != Self.otelLine }.map { try JSONValue(parsing: $0) }
        #expect(!records.isEmpty)
        #expect(records.allSatisfy { $0["resource"]?["service.instance.id"] == "run-42" })
        #expect(records.allSatisfy { $0["attributes"]?["run.id"] == "run-42" })
        let noise = records.first { $0["body"] == "plain noise from opencode" }
        #expect(noise?["attributes"]?["service.component"] == "opencode")
        #expect(
            records.contains { $0["body"] == "opencode.ready" && $0["attributes"]?["service.component"] == "engine" })
        #expect(
            records.contains {
                ($0["body"]?.stringValue ?? "").contains("listening on http://127.0.0.1:")
                    && $0["attributes"]?["service.component"] == "opencode"
            })
    }

    @Test("the environment chooses the format when no flag does; pretty lines otherwise")
    func environment() async throws {
        let lines = try await session(arguments: [], environment: ["OPENWORK_LOG_FORMAT": "json"])
        #expect(lines.contains { $0.hasPrefix("{") && $0.contains(#""service.component":"opencode""#) })
        let pretty = try await session(
            arguments: ["--log-format", "pretty"], environment: ["OPENWORK_LOG_FORMAT": "json"])
        #expect(pretty.contains { $0.hasSuffix(" opencode | plain noise from opencode") })
        #expect(pretty.contains { $0.contains(" INFO  engine | opencode.ready") })
    }

    @Test(
        "bad settings are usage errors (exit 64) naming what is wrong",
        arguments: [
            (["--log-format", "xml"], [String: String](), "--log-format must be pretty or json"),
            ([], ["OPENWORK_LOG_FORMAT": "xml"], "OPENWORK_LOG_FORMAT must be pretty or json"),
            ([], ["OPENWORK_VERBOSE": "maybe"], "OPENWORK_VERBOSE=maybe is not a boolean"),
        ])
    func badSettings(arguments: [String], environment: [String: String], message: String) async throws {
        let rpc = try RPCProcess(arguments: arguments, environment: environment)
        #expect(try await rpc.process.waitForExit(within: .seconds(10)).code == 64)
        #expect(rpc.process.errorOutput.contains(message))
    }

    @Test("--no-verbose wins over OPENWORK_VERBOSE; --verbose adds debug records")
    func verbose() async throws {
        let quiet = try await session(
            arguments: ["--log-format", "json", "--no-verbose"], environment: ["OPENWORK_VERBOSE": "1"])
        #expect(!quiet.contains { $0.contains(#""severityText":"DEBUG""#) })
        let loud = try await session(arguments: ["--log-format", "json", "--verbose"])
        #expect(loud.contains { $0.contains(#""severityText":"DEBUG""#) })
    }
}
