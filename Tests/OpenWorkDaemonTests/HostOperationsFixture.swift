import Foundation
import OpenWorkCore
import OpenWorkHost
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An engine in this process with host mode (`host.*` through the method table), running `fake-opencode` as
/// opencode and `fake-openwork-server` as openwork-server, with one workspace directory.
struct HostOperationsFixture {
    static let server = BuiltProducts.path(of: "fake-openwork-server")

    let root: TemporaryDirectory
    let workspace: String
    let other: String
    let dataDirectory: DataDirectory

    init() throws {
        root = try TemporaryDirectory("host-ops")
        let made = try root.makeDirectories("w/site", "w/other")
        workspace = made[0]
        other = made[1]
        dataDirectory = DataDirectory(path: root.appending("data"))
    }

    struct Context {
        let engine: Engine
        let host: HostController
        let dispatcher: Dispatcher

        /// The result of `method`, or the test fails with the error.
        func call(_ method: String, _ params: JSONValue? = nil) async throws -> JSONValue {
            try await dispatcher.call(method, params: params).get()
        }

        /// The error `method` answers with (`nil` when it succeeds).
        func failure(_ method: String, _ params: JSONValue? = nil) async -> RPCError? {
            if case .failure(let error) = await dispatcher.call(method, params: params) { return error }
            return nil
        }
    }

    /// Runs `body`; every host service and opencode are stopped afterwards, whatever happened.
    func withHost<T: Sendable>(
        serverBinary: String = HostOperationsFixture.server, environment extra: [String: String] = [:],
        _ body: (Context) async throws -> T
    ) async throws -> T {
        var environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        for name in ["OPENWORK_WORKSPACE", "OPENWORK_RUN_ID", "OPENWORK_PORT", "OPENWORK_OPENCODE_PORT"] {
            environment[name] = nil
        }
        environment["OPENWORK_OPENWORK_SERVER_BIN"] = serverBinary
        environment["FAKE_OPENCODE_INTROSPECTION"] = "1"
        var configuration = Engine.Configuration(dataDirectory: dataDirectory, environment: environment)
        configuration.opencodeExecutable = FakeOpenCode.path
        // Hang deadlines, far above what a start takes on a loaded machine.
        configuration.readyDeadline = .seconds(60)
        configuration.tuneSupervisor = { opencode in
            opencode.startTimeout = .seconds(60)
            opencode.stop.grace = .seconds(2)
            opencode.policy.floor = .milliseconds(20)
        }
        let directory = dataDirectory
        return try await Engine.run(configuration) { engine in
            let host = HostController(engine: engine, dataDirectory: directory, environment: environment)
            var operations = Operations.Configuration(engine: engine)
            operations.host = host
            operations.environment = environment
            let context = Context(
                engine: engine, host: host, dispatcher: Dispatcher(table: Operations.table(operations)))
            do {
                let result = try await body(context)
                await host.stop()
                return result
            } catch {
                await host.stop()
                throw error
            }
        }
    }

    /// The `service` → `pid` of a `host.start` or `host.status` answer.
    static func pids(_ answer: JSONValue) -> [String: Int32] {
        var pids: [String: Int32] = [:]
        for service in answer["services"]?.arrayValue ?? [] {
            if let name = service["service"]?.stringValue, let pid = service["pid"]?.int64Value {
                pids[name] = Int32(pid)
            }
        }
        return pids
    }

    /// The command line of `pid`, its arguments joined by spaces.
    static func commandLine(_ pid: Int32) -> String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// The credentials of a `host.status {includeSecrets: true}` answer.
    static func secrets(_ status: JSONValue) -> [String] {
        let connection = status["connection"]
        return [
            connection?["opencode"]?["password"], connection?["openwork"]?["collaboratorToken"],
            connection?["openwork"]?["hostToken"], connection?["openwork"]?["ownerToken"],
        ].compactMap { $0?.stringValue }
    }

    /// The permission bits of `path`.
    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }
}
