import CZlib
import Foundation
import OpenWorkJSON
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads `.tar.gz` and `.zip` release assets without external tools and extracts the one binary openwork
/// needs. Every entry of the archive is checked first: absolute names, `..` components, backslashes, links
/// (symbolic or hard), devices, FIFOs, encrypted or zip64 entries, and unknown entry types make the whole archive
/// `sidecar_archive_unsafe`. Only a regular file whose last name component is the binary's name is written.
public enum ArchiveExtractor {
    public enum Kind: Sendable, Hashable {
        case tarGzip, zip
    }

    /// The archive kind of an asset name, or `nil` for a bare binary.
    public static func kind(of asset: String) -> Kind? {
        let lower = asset.lowercased()
        if lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tgz") { return .tarGzip }
        if lower.hasSuffix(".zip") { return .zip }
        return nil
    }

    /// The most bytes the extracted binary may have.
    static let maximumMemberSize: Int64 = 4 << 30

    /// Checks every entry of `archive` and writes the regular file named `member` (at any depth) to
    /// `destination`, created exclusively with mode 0600 and fsynced. On any throw `destination` does not exist.
    public static func extract(_ archive: String, kind: Kind, member: String, to destination: String)
        throws(OpenWorkError)
    {
        do {
            switch kind {
            case .tarGzip: try TarReader.extract(archive, member: member, to: destination)
            case .zip: try ZipReader.extract(archive, member: member, to: destination)
            }
        } catch {
            unlink(destination)
            var error = error
            error.details["archive"] = .string(archive)
            throw error
        }
    }

    /// Why an entry name is unsafe, or `nil` when it is a plain relative name.
    public static func unsafeReason(_ name: String) -> String? {
        if name.isEmpty { return "an empty name" }
        if name.hasPrefix("/") { return "an absolute path" }
        if name.contains("\\") { return "a backslash" }
        if name.utf8.contains(0) { return "a NUL byte" }
        if name.split(separator: "/").contains("..") { return "a `..` component" }
        return nil
    }

    static func unsafe(_ entry: String, _ reason: String) -> OpenWorkError {
        OpenWorkError(
            .sidecarArchiveUnsafe, "the archive was refused: entry \(entry.debugDescription) is \(reason)",
            details: ["entry": .string(entry)])
    }

    static func broken(_ reason: String) -> OpenWorkError {
        OpenWorkError(.sidecarArchiveUnsafe, "the archive cannot be read: \(reason)")
    }

    static func lastComponent(_ name: String) -> String {
        String(name.split(separator: "/").last ?? "")
    }

    /// Opens `destination` for writing, exclusively, 0600.
    static func create(_ destination: String) throws(OpenWorkError) -> Int32 {
        let descriptor = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw OpenWorkError(
                .sidecarDownloadFailed, "cannot create \(destination): \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    static func finish(_ descriptor: Int32, _ destination: String) throws(OpenWorkError) {
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard synced else {
            throw OpenWorkError(
                .sidecarDownloadFailed, "cannot fsync \(destination): \(String(cString: strerror(errno)))")
        }
    }
}

// MARK: - gzip
