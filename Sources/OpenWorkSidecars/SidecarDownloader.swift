import AsyncHTTPClient
import Crypto
import NIOCore
import NIOHTTP1
import OpenWorkJSON
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Streams one asset into a private temporary file while hashing and counting it, and keeps the file only when
/// size and SHA-256 match the manifest. The temporary file is 0600 (never runnable) and removed on any failure.
enum SidecarDownloader {
    /// Bytes received so far and the expected total.
    struct Progress: Sendable {
        var received: Int64
        var total: Int64
    }

    /// An HTTP client for downloads: follows a few redirects (release assets redirect to a CDN), bounded
    /// connect and idle-read timeouts.
    static func makeHTTPClient(connectTimeout: Duration) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(connectTimeout.nanoseconds), read: .seconds(30))
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Downloads `url` into `temporary` (created exclusively) and verifies it against `asset`. On return the
    /// file is complete, fsynced and verified; on any throw it does not exist.
    static func download(
        _ url: String, to temporary: String, expecting asset: SidecarManifest.Asset, http: HTTPClient,
        timeout: Duration, progress: @Sendable (Progress) -> Void
    ) async throws(OpenWorkError) {
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw OpenWorkError(
                .sidecarDownloadFailed, "cannot create \(temporary): \(String(cString: strerror(errno)))",
                details: ["file": .string(temporary)])
        }
        var closed = false
        func cleanUp() {
            if !closed { close(descriptor) }
            closed = true
            unlink(temporary)
        }
        func failure(_ reason: String) -> OpenWorkError {
            OpenWorkError(
                .sidecarDownloadFailed, "cannot download \(asset.asset) from \(url): \(reason)",
                details: ["url": .string(url), "asset": .string(asset.asset)])
        }
        var hasher = SHA256()
        var received: Int64 = 0
        func receive(_ bytes: UnsafeRawBufferPointer) throws(OpenWorkError) {
            received += Int64(bytes.count)
            guard received <= asset.size else {
                throw integrity("is larger than the manifest's \(asset.size) bytes", asset: asset, url: url)
            }
            hasher.update(bufferPointer: bytes)
            guard FileIO.writeAll(descriptor, bytes) else {
                throw failure("cannot write \(temporary): \(String(cString: strerror(errno)))")
            }
            progress(Progress(received: received, total: asset.size))
        }
        do {
            if url.hasPrefix("file://") {
                // An offline mirror: the same streaming, hashing and checks as a download.
                try copy(String(url.dropFirst("file://".count)), receive: receive)
            } else {
                let response = try await http.execute(
                    HTTPClientRequest(url: url), timeout: .nanoseconds(timeout.nanoseconds))
                guard response.status.code == 200 else { throw failure("HTTP \(response.status.code)") }
                progress(Progress(received: 0, total: asset.size))
                for try await chunk in response.body {
                    try chunk.withUnsafeReadableBytes { bytes throws(OpenWorkError) in try receive(bytes) }
                }
            }
        } catch let error as OpenWorkError {
            cleanUp()
            throw error
        } catch {
            cleanUp()
            throw failure(received > 0 ? "the transfer broke after \(received) bytes (\(error))" : "\(error)")
        }
        guard received == asset.size else {
            cleanUp()
            throw integrity("has \(received) bytes, the manifest says \(asset.size)", asset: asset, url: url)
        }
        let hash = Digest.hex(hasher.finalize())
        guard hash == asset.sha256 else {
            cleanUp()
            throw integrity("has SHA-256 \(hash), the manifest pins \(asset.sha256)", asset: asset, url: url)
        }
        guard fsync(descriptor) == 0 else {
            cleanUp()
            throw failure("cannot fsync \(temporary): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        closed = true
    }

    /// Reads a local file in chunks.
    private static func copy(_ path: String, receive: (UnsafeRawBufferPointer) throws(OpenWorkError) -> Void)
        throws(OpenWorkError)
    {
        let source = open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else {
            throw OpenWorkError(
                .sidecarDownloadFailed, "cannot read \(path): \(String(cString: strerror(errno)))",
                details: ["url": .string("file://" + path)])
        }
        defer { close(source) }
        let complete = try FileIO.forEachChunk(source, receive)
        guard complete else {
            throw OpenWorkError(.sidecarDownloadFailed, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func integrity(_ what: String, asset: SidecarManifest.Asset, url: String) -> OpenWorkError {
        OpenWorkError(
            .sidecarIntegrity, "refused \(asset.asset) from \(url): it \(what); nothing was installed",
            details: [
                "url": .string(url), "asset": .string(asset.asset), "expectedSha256": .string(asset.sha256),
                "expectedSize": .integer(asset.size),
            ])
    }
}
