import OpenWorkJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The exclusive `flock` on `<data-dir>/daemon.lock` that makes an engine the only one for its data
/// directory. The kernel releases it when the process dies, however it dies; the descriptor is close-on-exec
/// so no child keeps it.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32
    public let path: String

    public init(_ dataDirectory: DataDirectory) throws(OpenWorkError) {
        try dataDirectory.create()
        path = dataDirectory.path + "/daemon.lock"
        descriptor = try DataDirectory.openFile(path, O_RDWR | O_CREAT)
        guard descriptor >= 0 else {
            throw OpenWorkError(
                .dataDirUnusable, "cannot open \(path): \(String(cString: strerror(errno)))",
                details: ["path": .string(path)])
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw OpenWorkError(
                .dataDirLocked,
                "another openwork engine owns \(dataDirectory.path) (lock \(path)); stop it or use another --data-dir",
                details: ["dataDir": .string(dataDirectory.path)])
        }
    }

    deinit { close(descriptor) }
}
