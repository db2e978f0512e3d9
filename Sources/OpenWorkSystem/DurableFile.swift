import OpenWorkJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Atomic, durable replacement of a file: temp file in the same directory → write → fsync → (optionally keep
/// the old file as a hard link) → rename → fsync the directory. At every instant the path holds either the
/// old or the new contents; on failure the temp file is removed and the old contents stay.
///
/// A symbolic link at `path` is refused (`data_dir_unsafe`) rather than replaced or followed: it means someone
/// tampered with the directory, and the user should hear about it.
public enum DurableFile {
    /// The prefix of temp files for `path` (hidden, in the same directory).
    public static func temporaryPrefix(for fileName: String) -> String { "." + fileName + ".tmp-" }

    /// Replaces `path` with `bytes` durably; `previous`, when given, keeps the replaced generation.
    public static func write(
        _ bytes: [UInt8], to path: String, mode: UInt32 = 0o600, keepPreviousAt previous: String? = nil
    ) throws(OpenWorkError) {
        try DataDirectory.refuseLink(at: path)
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let name = String(path.split(separator: "/").last ?? "")
        let temporary = directory + "/" + temporaryPrefix(for: name) + "\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let descriptor = try DataDirectory.openFile(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)", path) }
        var problem: OpenWorkError?
        if !FileIO.writeAll(descriptor, bytes) {
            problem = failure("cannot write \(temporary)", path)
        } else if fsync(descriptor) != 0 {
            problem = failure("cannot fsync \(temporary)", path)
        }
        close(descriptor)
        if let problem {
            unlink(temporary)
            throw problem
        }
        if let previous, access(path, F_OK) == 0 {
            unlink(previous)
            _ = link(path, previous)
        }
        guard rename(temporary, path) == 0 else {
            let problem = failure("cannot rename \(temporary) to \(path)", path)
            unlink(temporary)
            throw problem
        }
        syncDirectory(directory)
    }

    public static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func failure(_ what: String, _ path: String) -> OpenWorkError {
        let code = errno
        return OpenWorkError(
            .stateWriteFailed, "\(what): \(String(cString: strerror(code))); the file was not changed",
            details: ["file": .string(path), "errno": .integer(Int64(code))])
    }
}
