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
        let complete = FileIO.forEachChunk(descriptor) { chunk in
            hasher.update(bufferPointer: chunk)
            size += Int64(chunk.count)
        }
        guard complete else { return nil }
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

    /// ``Directory/createPrivate(_:)``, failing with `sidecar_download_failed`.
    static func makeDirectories(_ path: String) throws(OpenWorkError) {
        do {
            try Directory.createPrivate(path)
        } catch {
            throw OpenWorkError(.sidecarDownloadFailed, error.description, details: ["directory": .string(error.path)])
        }
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
