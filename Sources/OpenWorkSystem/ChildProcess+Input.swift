import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ChildProcess {
    /// Writes all of `bytes` to the child's stdin, on a thread of its own (a full pipe blocks until the child
    /// reads).
    ///
    /// - Throws: `POSIXError`: `EBADF` when stdin is not a pipe or was closed, `EPIPE` when the child closed it.
    public func write(_ bytes: some Collection<UInt8>) async throws {
        let bytes = Array(bytes)
        try await DedicatedThread.run(name: "openwork.child.stdin") { () throws(POSIXError) in
            try self.input.write(bytes)
        }
    }

    /// Closes the child's stdin, so it reads end of file; nothing when stdin is not a pipe or already closed.
    public func closeInput() { input.close() }
}

/// The write end of a child's stdin, closed by ``close()`` or when released.
final class InputPipe: @unchecked Sendable {
    private let lock = NSLock()
    private var descriptor: Int32

    init(descriptor: Int32?) {
        self.descriptor = descriptor ?? -1
    }

    deinit { close() }

    func write(_ bytes: [UInt8]) throws(POSIXError) {
        let descriptor = lock.withLock { self.descriptor }
        guard descriptor >= 0 else { throw POSIXError(.EBADF) }
        // SIGPIPE is sent to the writing thread: blocked here, a write to a closed pipe fails with EPIPE instead of
        // ending the process, and the pending signal is discarded with this (dedicated) thread.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        guard FileIO.writeAll(descriptor, bytes) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    func close() {
        lock.withLock {
            if descriptor >= 0 { _ = Glibc.close(descriptor) }
            descriptor = -1
        }
    }
}
