import OpenWorkJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one way files inside the data directory are opened: never through a symbolic link.
///
/// A link planted at `daemon.lock`, the state file or the token would otherwise make us create, truncate,
/// read or append to whatever it points at. Every open goes through ``openFile(_:_:mode:)``; every replacement
/// of a whole file checks ``refuseLink(at:)`` first (``DurableFile``).
extension DataDirectory {
    /// `open(2)` with `O_NOFOLLOW | O_CLOEXEC` added, refusing anything but a regular file.
    ///
    /// - Returns: the descriptor, or -1 with `errno` set when the open fails for another reason (a missing file
    ///   is `ENOENT`, as with `open`), so callers keep their own handling of ordinary failures.
    /// - Throws: `data_dir_unsafe` naming `path` when it is a symbolic link (dangling or not) or not a regular
    ///   file (a FIFO, a directory, a device). Nothing is created at a link's target.
    public static func openFile(_ path: String, _ flags: Int32, mode: UInt32 = 0o600) throws(OpenWorkError) -> Int32 {
        // O_NONBLOCK: a FIFO planted at the name must not hang the open; it is refused below.
        let descriptor = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode_t(mode))
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP || code == EMLINK { try refuseLink(at: path) }
            errno = code
            return -1
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw unsafe(path, "is not a regular file")
        }
        return descriptor
    }

    /// Throws `data_dir_unsafe` when `path` is a symbolic link; does nothing when it is anything else or absent.
    public static func refuseLink(at path: String) throws(OpenWorkError) {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return }
        throw unsafe(path, "is a symbolic link; openwork does not follow links inside its data directory")
    }
}
