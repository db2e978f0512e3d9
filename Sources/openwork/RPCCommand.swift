import ArgumentParser
import Dispatch
import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkRPC

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `openwork rpc`: the method table as line-delimited JSON-RPC 2.0 on stdin and stdout, with an engine
/// running. (`@unchecked`: the sources are only created in `init` and cancelled once.)in this process for as long as the session lasts.
struct RPCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Serve every operation as line-delimited JSON-RPC 2.0 on stdin/stdout.",
        discussion: """
            One JSON text per line in each direction. The engine (registry + supervised opencode) runs in this \
            process and owns the data directory while the session lasts. EOF on stdin lets running requests \
            finish (up to --drain-timeout-ms), stops opencode and exits 0; so do SIGTERM and SIGINT. \
            `$/cancelRequest {"id":…}` cancels a running request.
            """
    )

    @Option(help: "The data directory (default: $OPENWORK_DATA_DIR, else ~/.openwork/openwork-orchestrator).")
    var dataDir: String?

    @Option(help: "The opencode executable (default: $OPENWORK_OPENCODE_BIN, else `opencode` on PATH).")
    var opencodeBin: String?

    @Flag(help: "Print the OpenRPC document describing every method, and exit.")
    var describe = false

    @Option(help: "Longest accepted request line in bytes.")
    var maxLineBytes: Int = 16 << 20

    @Option(help: "How long running requests may take after EOF on stdin, in milliseconds.")
    var drainTimeoutMs: Int = 5_000

    func validate() throws {
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
        var engine = Engine.Configuration(
            dataDirectory: DataDirectory.resolve(flag: dataDir, environment: environment, cwd: cwd),
            environment: environment)
        engine.opencodeExecutable = opencodeBin
        engine.tuneSupervisor = EngineTuning.fromEnvironment(environment)
        var server = StdioServer.Configuration()
        server.maximumLineBytes = maxLineBytes
        server.drainTimeout = .milliseconds(drainTimeoutMs)
        do {
            try await Engine.run(engine) { engine in
                operations.engine = engine
                let dispatcher = Dispatcher(table: Operations.table(operations))
                let signals = SignalWatcher(engine: engine)
                _ = await StdioServer.serve(dispatcher, configuration: server)
                signals.cancel()
            }
        } catch let error as OpenWorkError {
            FileHandle.standardError.write(Data("openwork: \(error.message) [\(error.code)]\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// SIGTERM and SIGINT stop opencode before the process exits, so a signalled `openwork rpc` leaves nothing
/// running. (`@unchecked`: the sources are only created in `init` and cancelled once.)
final class SignalWatcher: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(engine: Engine) {
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                Task {
                    await engine.shutdown()
                    exit(0)
                }
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
