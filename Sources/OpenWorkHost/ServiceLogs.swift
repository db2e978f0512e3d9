import OpenWorkJSON
public import OpenWorkSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the output of host mode's services goes when no terminal watches it (host mode in a daemon):
/// `<data-dir>/logs/<service>.log`, appended, one line per output line, each redacted by the run's ``Redactor``.
///
/// The files are opened when the run starts, 0600, never through a symbolic link (a link planted at a name is
/// refused with `data_dir_unsafe` before anything runs). Lines may arrive from any thread; after ``close()``
/// they are dropped, so a late line of a stopped child never lands in a descriptor reused for another file.
public final class ServiceLogs: Sendable {
    /// The log file of each service, by name.
    public let paths: [String: String]
    private let redactor: Redactor
    private let descriptors: Mutex<[String: Int32]>

    /// Opens (creating when missing) the log file of each of `services` in the data directory's `logs/`.
    public init(dataDirectory: DataDirectory, services: [String], redactor: Redactor) throws(OpenWorkError) {
        let directory = try dataDirectory.subdirectory("logs")
        var paths: [String: String] = [:]
        var opened: [String: Int32] = [:]
        do throws(OpenWorkError) {
            for service in services {
                let path = directory + "/" + service + ".log"
                let descriptor = try DataDirectory.openFile(path, O_WRONLY | O_APPEND | O_CREAT, mode: 0o600)
                guard descriptor >= 0 else {
                    let reason = String(cString: strerror(errno))
                    throw OpenWorkError(
                        .dataDirUnusable, "cannot open \(path): \(reason)", details: ["path": .string(path)])
                }
                _ = fchmod(descriptor, 0o600)
                paths[service] = path
                opened[service] = descriptor
            }
        } catch {
            for descriptor in opened.values { closeDescriptor(descriptor) }
            throw error
        }
        self.paths = paths
        self.redactor = redactor
        descriptors = Mutex(opened)
    }

    /// Appends `line` (redacted) to `service`'s file; nothing for a service without one, or once closed.
    public func write(_ service: String, _ line: String) {
        let bytes = Array((redactor.redact(line) + "\n").utf8)
        descriptors.withLock { descriptors in
            guard let descriptor = descriptors[service] else { return }
            _ = FileIO.writeAll(descriptor, bytes)
        }
    }

    /// Closes every file; later lines are dropped. Idempotent.
    public func close() {
        let closing = descriptors.withLock { descriptors in
            defer { descriptors = [:] }
            return Array(descriptors.values)
        }
        for descriptor in closing { closeDescriptor(descriptor) }
    }

    deinit { close() }
}

/// `close(2)`, out of reach of ``ServiceLogs/close()``'s name.
private func closeDescriptor(_ descriptor: Int32) {
    #if canImport(Glibc)
        _ = Glibc.close(descriptor)
    #else
        _ = Darwin.close(descriptor)
    #endif
}
