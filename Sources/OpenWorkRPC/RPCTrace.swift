public import OpenWorkJSON
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Appends one JSON line for every answered request (`{"method":…,"response":…}`) and every notification sent
/// (`{"notification":…}`) to a file, so a test can check everything a run produced against the OpenRPC document.
///
/// Set by `OPENWORK_RPC_TRACE=PATH` (read by the servers' owners, which report a path that cannot be opened). The file is created with mode 0600 (it holds what
/// the answers hold, credentials included) and opened for appending: several processes may share it, and each
/// line is one `write`. A line that cannot be encoded or written is dropped; tracing never fails a request.
public final class RPCTrace: Sendable {
    public static let variable = "OPENWORK_RPC_TRACE"

    private let descriptor: Int32
    private let lock = Mutex(())

    /// Opens (creating, mode 0600) `path` for appending; `nil` when it cannot be opened.
    public init?(path: String) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Records the answer to a call of `method` (a JSON-RPC response object).
    public func response(_ method: String, _ response: JSONValue) {
        append(["method": .string(method), "response": response])
    }

    /// Records a notification sent to a client (`{"jsonrpc":"2.0","method":…,"params":…}`).
    public func notification(_ message: JSONValue) {
        append(["notification": message])
    }

    private func append(_ record: JSONValue) {
        guard var bytes = try? record.serializedBytes(.compact) else { return }
        bytes.append(UInt8(ascii: "\n"))
        lock.withLock { _ in
            _ = bytes.withUnsafeBytes { buffer in write(descriptor, buffer.baseAddress, buffer.count) }
        }
    }
}
