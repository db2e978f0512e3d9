import ArgumentParser
import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkRPC

/// `openwork rpc`: the method table as line-delimited JSON-RPC 2.0 on stdin and stdout.
struct RPCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Serve every operation as line-delimited JSON-RPC 2.0 on stdin/stdout.",
        discussion: """
            One JSON text per line in each direction. EOF on stdin lets running requests finish (up to \
            --drain-timeout-ms), then exits 0. `$/cancelRequest {"id":…}` cancels a running request.
            """
    )

    @Option(help: "The data directory (default: $OPENWORK_DATA_DIR, else ~/.openwork/openwork-orchestrator).")
    var dataDir: String?

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
        let dataDirectory = DataDirectory.resolve(flag: dataDir, environment: environment, cwd: cwd)
        do {
            var registry = Registry.Configuration(dataDirectory: dataDirectory, home: environment["HOME"])
            registry.onEvent = { event in
                if let line = try? event.serialized() {
                    FileHandle.standardError.write(Data("openwork: \(line)\n".utf8))
                }
            }
            operations.registry = try Registry(registry)
        } catch {
            throw ValidationError("data directory \(dataDirectory.path) is unusable: \(error.message)")
        }
        let table = Operations.table(operations)
        var configuration = StdioServer.Configuration()
        configuration.maximumLineBytes = maxLineBytes
        configuration.drainTimeout = .milliseconds(drainTimeoutMs)
        _ = await StdioServer.serve(Dispatcher(table: table), configuration: configuration)
    }
}
