import Foundation
public import OpenWorkJSON

/// A spawned `openwork rpc` session: write requests as lines, read answers as parsed JSON.
public final class RPCProcess: @unchecked Sendable {
    public let process: TestProcess
    /// A private data directory, used unless the arguments or environment name another.
    public let dataDirectory: TemporaryDirectory
    private var nextID: Int64 = 1

    /// Starts the built `openwork rpc` with extra arguments and environment, never on the user's own data
    /// directory: `OPENWORK_DATA_DIR` defaults to a fresh temporary directory.
    public init(arguments: [String] = [], environment: [String: String] = [:]) throws {
        dataDirectory = try TemporaryDirectory("rpc-data")
        var merged = ProcessInfo.processInfo.environment
        merged["OPENWORK_DATA_DIR"] = dataDirectory.path
        merged.merge(environment) { _, new in new }
        process = try TestProcess(BuiltProducts.path(of: "openwork"), ["rpc"] + arguments, environment: merged)
    }

    /// Sends a request and returns the next answer line. Use only when no other answers are outstanding.
    public func call(_ method: String, _ params: JSONValue? = nil, within deadline: Duration = .seconds(60))
        async throws -> JSONValue
    {
        let id = nextID
        nextID += 1
        var request: JSONValue = ["jsonrpc": "2.0", "id": .integer(id), "method": .string(method)]
        if let params { request["params"] = params }
        try await send(request)
        return try await readMessage(within: deadline)
    }

    public func send(_ message: JSONValue) async throws { try await process.writeLine(message.serialized()) }

    public func sendLine(_ line: String) async throws { try await process.writeLine(line) }

    /// The next answer, parsed; throws when the line is not JSON or none arrives in time.
    public func readMessage(within deadline: Duration = .seconds(60)) async throws -> JSONValue {
        guard let line = try await process.readLine(within: deadline) else {
            throw TestProcess.Timeout(description: "openwork rpc closed stdout; stderr: \(process.errorOutput)")
        }
        return try JSONValue(parsing: line)
    }
}
