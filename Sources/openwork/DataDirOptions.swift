import ArgumentParser
import Foundation
import Logging
import OpenWorkClient
import OpenWorkCore
import OpenWorkDaemon
import OpenWorkJSON
import OpenWorkLogging
import OpenWorkOperations
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Options every daemon command shares.
struct DataDirOptions: ParsableArguments {
    @Option(help: "The data directory (default: $OPENWORK_DATA_DIR, else ~/.openwork/openwork-orchestrator).")
    var dataDir: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Print one JSON object: {\"ok\":true,…} or {\"ok\":false,\"error\":…,\"kind\":…}.")
    var json = false

    var dataDirectory: DataDirectory {
        DataDirectory.resolve(
            flag: dataDir, environment: ProcessInfo.processInfo.environment,
            cwd: FileManager.default.currentDirectoryPath)
    }
}
