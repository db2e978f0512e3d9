import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkCore
import OpenWorkHost
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkSystem
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `openwork rpc`: the method table as line-delimited JSON-RPC 2.0 on stdin and stdout, served by the daemon
/// that owns the data directory (bridged through its control plane) or else by an engine running in this process
/// for as long as the session lasts.
struct RPCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Serve every operation as line-delimited JSON-RPC 2.0 on stdin/stdout.",
        discussion: """
            One JSON text per line in each direction. When a daemon owns the data directory, every line goes to \
            it (POST /rpc; events.subscribe over GET /events) and EOF on stdin ends the session without stopping \
            it. Otherwise the engine (registry + supervised opencode) runs in this process and owns the data \
            directory while the session lasts; EOF on stdin lets running requests finish (up to \
            --drain-timeout-ms), stops opencode and exits 0; so do SIGTERM and SIGINT. \
            `$/cancelRequest {"id":…}` cancels a running in-process request. --connect requires the daemon \
            (daemon_not_running otherwise); --embedded requires an in-process engine (data_dir_locked when a \
            daemon owns the directory).
            """
    )

    @Option(help: "The data directory (default: $OPENWORK_DATA_DIR, else ~/.openwork/openwork-orchestrator).")
    var dataDir: String?

    @Option(help: "The opencode executable (default: $OPENWORK_OPENCODE_BIN, else `opencode` on PATH).")
    var opencodeBin: String?

    @OptionGroup var sidecar: SidecarOptions

    @Flag(help: "Print the OpenRPC document describing every method, and exit.")
    var describe = false

    @Option(help: "Longest accepted request line in bytes.")
    var maxLineBytes: Int = 16 << 20

    @Option(help: "How long running requests may take after EOF on stdin, in milliseconds.")
    var drainTimeoutMs: Int = 5_000

    @Flag(help: "Bridge to the daemon that owns the data directory; fail with daemon_not_running if there is none.")
    var connect = false

    @Flag(help: "Run the engine in this process; fail with data_dir_locked if a daemon owns the data directory.")
    var embedded = false

    @OptionGroup var log: LogOptions
    @OptionGroup var approvals: ApprovalOptions
    @OptionGroup var lifecycle: LifecycleOptions

    func validate() throws {
        guard !(connect && embedded) else { throw ValidationError("--connect and --embedded exclude each other") }
        guard maxLineBytes > 0 else { throw ValidationError("--max-line-bytes must be positive") }
        guard drainTimeoutMs >= 0 else { throw ValidationError("--drain-timeout-ms must not be negative") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let cwd = FileManager.default.currentDirectoryPath
        var operations = Operations.Configuration(
            testMethods: Operations.Configuration.testMethodsEnabled(environment), defaultCWD: cwd)
        if describe {
            print(try Operations.table(operations).openRPCDocument.serialized(.pretty))
            return
        }
        let directory = DataDirectory.resolve(flag: dataDir, environment: environment, cwd: cwd)
        let client = DaemonClient(dataDirectory: directory)
        let daemon = await client.running()
        if let daemon, !embedded {
            let given = ServeOptions.given(opencodeBin: opencodeBin, approvals: approvals, environment)
            SettingsWarnings.write(SettingsWarnings.messages(given: given, record: daemon.record))
            var bridge = RPCBridge.Configuration()
            bridge.maximumLineBytes = maxLineBytes
            bridge.drainTimeout = .milliseconds(drainTimeoutMs)
            await RPCBridge.serve(client: client, record: daemon.record, configuration: bridge)
            return
        }
        if connect {
            Self.fail(OpenWorkError(.daemonNotRunning, "the openwork daemon is not running for \(directory.path)"))
        }
        if let daemon {
            Self.fail(
                OpenWorkError(
                    .dataDirLocked,
                    "the openwork daemon (pid \(daemon.record.pid)) owns \(directory.path); drop --embedded to use it"))
        }
        let logSettings = log.bootstrap()
        var engine = Engine.Configuration(dataDirectory: directory, environment: environment)
        engine.log = logSettings
        engine.opencodeExecutable = opencodeBin
        engine.tuneSupervisor = EngineTuning.fromEnvironment(environment)
        do {
            engine.sidecars = try sidecar.settings(dataDirectory: directory.path, opencodeBin: opencodeBin)
        } catch {
            Self.fail(error)
        }
        engine.approvals = try ApprovalsCommand.settings(approvals, environment)
        engine.lifecycle = try lifecycle.settings(environment)
        var server = StdioServer.Configuration()
        server.maximumLineBytes = maxLineBytes
        server.drainTimeout = .milliseconds(drainTimeoutMs)
        do {
            try await Engine.run(engine) { engine in
                operations.engine = engine
                let host = HostController(engine: engine, dataDirectory: directory, environment: environment)
                operations.host = host
                operations.environment = environment
                let trace = try Operations.Configuration.trace(environment)
                let dispatcher = Dispatcher(table: Operations.table(operations), trace: trace)
                let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
                await withTaskGroup(of: Void.self) { group in
                    // SIGTERM and SIGINT stop opencode before the process exits, so a signalled `openwork rpc`
                    // leaves nothing running.
                    group.addTask {
                        for await _ in signals {
                            await host.stop()
                            await engine.shutdown()
                            Glibc.exit(0)
                        }
                    }
                    _ = await StdioServer.serve(dispatcher, configuration: server)
                    group.cancelAll()
                    await host.stop()
                }
            }
        } catch let error as OpenWorkError {
            Self.fail(error)
        }
    }

    /// One line on stderr, exit 1.
    private static func fail(_ error: OpenWorkError) -> Never {
        FileHandle.standardError.write(Data("openwork: \(error.message) [\(error.code)]\n".utf8))
        Glibc.exit(1)
    }
}
