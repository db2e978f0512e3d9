import CSystemShims
import Foundation
import OpenWorkJSON
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state file on disk: durable atomic writes with the previous generation kept, a lock for
/// read-modify-write across processes, and change detection so unchanged files are not parsed again.
///
/// Layout inside the data directory:
/// - `openwork-orchestrator-state.json` — the current generation (0600);
/// - `openwork-orchestrator-state.json.prev` — the generation before it (a hard link to the old inode);
/// - `openwork-orchestrator-state.json.lock` — `flock` target for writers (holds nothing);
/// - `openwork-orchestrator-state.json.corrupt-<ms>` — a file that failed to parse, moved aside on recovery;
/// - `.openwork-orchestrator-state.json.tmp-*` — a write in progress; any found while holding the lock are stale.
struct StateFile: Sendable {
    static let fileName = DataDirectory.stateFileName

    let directory: String
    var path: String { directory + "/" + Self.fileName }
    var previousPath: String { path + ".prev" }
    var lockPath: String { path + ".lock" }
    private var temporaryPrefix: String { DurableFile.temporaryPrefix(for: Self.fileName) }

    /// What identifies one version of the file on disk, to skip re-parsing it.
    struct Identity: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
    }

    enum Contents {
        case missing
        case bytes([UInt8], Identity)
    }

    // MARK: Reading

    func identity(of path: String) -> Identity? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Identity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        )
    }

    /// The bytes of `path`; a symbolic link there is refused (`data_dir_unsafe`), never followed.
    func read(_ path: String) throws(OpenWorkError) -> Contents {
        let descriptor = try DataDirectory.openFile(path, O_RDONLY)
        guard descriptor >= 0 else {
            if errno == ENOENT { return .missing }
            throw OpenWorkError(
                .stateCorrupt, "cannot read \(path): \(Self.describeErrno())", details: ["file": .string(path)])
        }
        defer { close(descriptor) }
        var info = stat()
        fstat(descriptor, &info)
        guard let bytes = FileIO.readAll(descriptor) else {
            throw OpenWorkError(
                .stateCorrupt, "cannot read \(path): \(Self.describeErrno())", details: ["file": .string(path)])
        }
        let identity = Identity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        )
        return .bytes(bytes, identity)
    }

    /// Parses bytes as a state file; the error says why they are not one.
    static func parse(_ bytes: [UInt8]) -> Result<RegistryState, ParseFailure> {
        do {
            let json = try JSONValue(parsing: bytes)
            do {
                return .success(try RegistryState(json: json))
            } catch {
                return .failure(ParseFailure(reason: error.message))
            }
        } catch {
            return .failure(ParseFailure(reason: error.description))
        }
    }

    struct ParseFailure: Error {
        var reason: String
    }

    // MARK: Writing

    /// Writes `state` durably: temp file → fsync → keep the old file as `.prev` → rename → fsync the directory.
    ///
    /// Either the old or the new generation is at ``path`` at every instant, whatever is killed when. On
    /// failure the temp file is removed and the current file is untouched.
    func write(_ state: RegistryState) throws(OpenWorkError) -> Identity? {
        let bytes: [UInt8]
        do {
            bytes = try state.json.serializedBytes(.pretty) + [10]
        } catch {
            throw OpenWorkError(.stateWriteFailed, "the registry could not be encoded: \(error)")
        }
        do {
            try DurableFile.write(bytes, to: path, keepPreviousAt: previousPath)
        } catch  where error.code == .dataDirUnsafe {
            throw error
        } catch {
            throw OpenWorkError(
                .stateWriteFailed,
                error.message.replacingOccurrences(
                    of: "the file was not changed", with: "the registry was not changed"),
                details: error.details)
        }
        return identity(of: path)
    }

    /// Moves an unreadable file aside and returns where it went.
    func quarantine(now: Int64) -> String? {
        let target = path + ".corrupt-\(now)"
        guard rename(path, target) == 0 else { return nil }
        syncDirectory()
        return target
    }

    /// Removes temp files left by writers that died (only call while holding the lock).
    func removeStaleTemporaries() {
        guard let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        var stale: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(temporaryPrefix) { stale.append(name) }
        }
        for name in stale { unlink(directory + "/" + name) }
    }

    private func syncDirectory() {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private func writeFailure(_ what: String) -> OpenWorkError {
        OpenWorkError(
            .stateWriteFailed, "\(what): \(Self.describeErrno()); the registry was not changed",
            details: ["file": .string(path), "errno": .integer(Int64(errno))]
        )
    }

    static func describeErrno() -> String {
        String(cString: strerror(errno))
    }

    // MARK: Locking

    /// Holds the state file's lock (``FileLock``) while `body` runs; past `timeout` it fails with `registry_busy`.
    func withLock<T>(
        timeout: Duration,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws(OpenWorkError) -> T
    ) async throws(OpenWorkError) -> T {
        guard let lock = try await FileLock.lock(lockPath, timeout: timeout) else {
            throw OpenWorkError(.registryBusy, "the registry stayed locked by another process for \(timeout)")
        }
        defer { lock.release() }
        return try await body()
    }
}
