import Crypto
import Dispatch
import OpenWorkJSON
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// File operations the sidecar cache needs: hashing, directories, the install lock, stale partial files.
enum SidecarFiles {
    /// SHA-256 and size of a file, or `nil` when it cannot be read.
    static func sha256(of path: String) -> (hash: String, size: Int64)? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var hasher = SHA256()
        var size: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
            size += Int64(count)
        }
        return (Digest.hex(hasher.finalize()), size)
    }

    /// Runs blocking file work (hashing a large binary, extracting an archive) on a global queue, so it never
    /// holds one of the few threads of Swift's cooperative pool.
    static func offload<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }

    /// ``sha256(of:)`` off the cooperative pool.
    static func hash(_ path: String) async -> (hash: String, size: Int64)? {
        await offload { sha256(of: path) }
    }

    /// `mkdir -p` with mode 0700 for the directories it creates.
    static func makeDirectories(_ path: String) throws(OpenWorkError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw OpenWorkError(
                    .sidecarDownloadFailed, "cannot create \(current): \(String(cString: strerror(errno)))",
                    details: ["directory": .string(current)])
            }
        }
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// Removes what an interrupted install left in `directory`: `.<asset>.partial-*` files and
    /// `.<asset>.extract-*` files. Only called under the asset's lock, so nothing removed is still being written.
    static func removeStale(in directory: String, asset: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var removed: [String] = []
        let prefixes = [".\(asset).partial-", ".\(asset).extract-"]
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard prefixes.contains(where: { name.hasPrefix($0) }) else { continue }
            if unlink(directory + "/" + name) == 0 { removed.append(name) }
        }
        return removed
    }

    static func randomSuffix() -> String { "\(getpid())-\(UInt32.random(in: 0 ... .max))" }
}

/// An exclusive `flock` on a lock file, shared across processes and (one open file description per holder)
/// across tasks of one process. Released by ``release()`` or when the process dies.
final class SidecarLock: Sendable {
    private let descriptor: Int32

    /// Waits (polling, never blocking a thread) until the lock is ours, or throws once `timeout` has passed.
    init(path: String, timeout: Duration) async throws(OpenWorkError) {
        let descriptor = try DataDirectory.openFile(path, O_RDWR | O_CREAT)
        guard descriptor >= 0 else {
            throw OpenWorkError(
                .sidecarDownloadFailed, "cannot open the lock \(path): \(String(cString: strerror(errno)))",
                details: ["lock": .string(path)])
        }
        let deadline = ContinuousClock.now + timeout
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline else {
                close(descriptor)
                throw OpenWorkError(
                    .sidecarDownloadFailed,
                    "another openwork is still installing this sidecar (lock \(path) held for over \(timeout))",
                    details: ["lock": .string(path)])
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        self.descriptor = descriptor
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
