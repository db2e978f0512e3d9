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

/// Inflates a gzip file (one or more members) as a stream of bytes.
final class GzipReader {
    private var stream = z_stream()
    private let descriptor: Int32
    private let input = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var inputEnded = false
    private var streamEnded = false

    init(path: String) throws(OpenWorkError) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            input.deallocate()
            throw ArchiveExtractor.broken("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard openwork_inflate_init(&stream, 16 + 15) == Z_OK else {
            close(descriptor)
            input.deallocate()
            throw ArchiveExtractor.broken("zlib could not start")
        }
    }

    deinit {
        inflateEnd(&stream)
        close(descriptor)
        input.deallocate()
    }

    /// Exactly `count` bytes, or fewer only at the end of the data.
    func read(_ count: Int) throws(OpenWorkError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            if pendingStart == pending.count {
                pending = try inflateChunk()
                pendingStart = 0
                if pending.isEmpty { break }
            }
            let take = min(count - result.count, pending.count - pendingStart)
            result.append(contentsOf: pending[pendingStart..<pendingStart + take])
            pendingStart += take
        }
        return result
    }

    /// The next inflated bytes; empty at the end of the data.
    private func inflateChunk() throws(OpenWorkError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 1 << 16)
        while !streamEnded {
            if stream.avail_in == 0 && !inputEnded {
                let count = FileIO.read(descriptor, into: input, count: 1 << 16)
                guard count >= 0 else {
                    throw ArchiveExtractor.broken("read failed: \(String(cString: strerror(errno)))")
                }
                if count == 0 {
                    inputEnded = true
                } else {
                    stream.next_in = input
                    stream.avail_in = UInt32(count)
                }
            }
            if stream.avail_in == 0 && inputEnded {
                throw ArchiveExtractor.broken("the gzip data ends early")
            }
            let produced = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                stream.next_out = buffer.baseAddress
                stream.avail_out = UInt32(buffer.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let count = output.count - Int(stream.avail_out)
            switch produced {
            case Z_STREAM_END:
                // Another gzip member may follow.
                if stream.avail_in > 0 || !inputEnded && peekMoreInput() {
                    inflateReset(&stream)
                } else {
                    streamEnded = true
                }
            case Z_OK, Z_BUF_ERROR:
                break
            default:
                throw ArchiveExtractor.broken("the gzip data is corrupt (zlib \(produced))")
            }
            if count > 0 { return Array(output.prefix(count)) }
        }
        return []
    }

    /// Reads more input when the current buffer is used up; false at end of file.
    private func peekMoreInput() -> Bool {
        while true {
            let count = FileIO.read(descriptor, into: input, count: 1 << 16)
            guard count > 0 else {
                inputEnded = true
                return false
            }
            stream.next_in = input
            stream.avail_in = UInt32(count)
            return true
        }
    }
}

// MARK: - tar

/// A ustar/pax/GNU tar reader over a gzip stream that validates each entry before looking at the next.
enum TarReader {
    static func extract(_ archive: String, member: String, to destination: String) throws(OpenWorkError) {
        let reader = try GzipReader(path: archive)
        var longName: String?
        var paxPath: String?
        var found = false
        var zeroBlocks = 0
        while true {
            let header = try reader.read(512)
            if header.isEmpty && zeroBlocks > 0 { break }
            guard header.count == 512 else { throw ArchiveExtractor.broken("the tar data ends inside a header") }
            if header.allSatisfy({ $0 == 0 }) {
                zeroBlocks += 1
                if zeroBlocks == 2 { break }
                continue
            }
            zeroBlocks = 0
            guard verifyChecksum(header) else { throw ArchiveExtractor.broken("a tar header checksum does not match") }
            let size = try number(header[124..<136])
            let type = header[156]
            var name = string(header[0..<100])
            let magic = string(header[257..<263])
            if magic.hasPrefix("ustar") {
                let prefix = string(header[345..<500])
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            if let override = paxPath ?? longName { name = override }
            paxPath = nil
            longName = nil
            let padded = (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "x"):
                guard size <= 1 << 20 else { throw ArchiveExtractor.broken("a pax header is too large") }
                let data = try reader.read(Int(padded))
                let records = try pax(Array(data.prefix(Int(size))))
                if let link = records["linkpath"] { throw ArchiveExtractor.unsafe(link, "a link target") }
                paxPath = records["path"]
                if let path = paxPath, let reason = ArchiveExtractor.unsafeReason(path) {
                    throw ArchiveExtractor.unsafe(path, reason)
                }
                continue
            case UInt8(ascii: "g"):
                guard size <= 1 << 20 else { throw ArchiveExtractor.broken("a pax header is too large") }
                _ = try reader.read(Int(padded))
                continue
            case UInt8(ascii: "L"):
                guard size <= 1 << 16 else { throw ArchiveExtractor.broken("a long name is too large") }
                let data = try reader.read(Int(padded))
                longName = string(data.prefix(Int(size)))
                continue
            default:
                break
            }
            if let reason = ArchiveExtractor.unsafeReason(name) { throw ArchiveExtractor.unsafe(name, reason) }
            switch type {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                if ArchiveExtractor.lastComponent(name) == member {
                    guard !found else { throw ArchiveExtractor.unsafe(name, "a second copy of \(member)") }
                    guard size <= ArchiveExtractor.maximumMemberSize else {
                        throw ArchiveExtractor.unsafe(name, "larger than 4 GiB")
                    }
                    found = true
                    try copy(reader, size: size, padded: padded, to: destination)
                } else {
                    try skip(reader, padded)
                }
            case UInt8(ascii: "5"):
                try skip(reader, padded)
            case UInt8(ascii: "1"): throw ArchiveExtractor.unsafe(name, "a hard link")
            case UInt8(ascii: "2"), UInt8(ascii: "K"): throw ArchiveExtractor.unsafe(name, "a symbolic link")
            case UInt8(ascii: "3"), UInt8(ascii: "4"): throw ArchiveExtractor.unsafe(name, "a device")
            case UInt8(ascii: "6"): throw ArchiveExtractor.unsafe(name, "a FIFO")
            default:
                throw ArchiveExtractor.unsafe(
                    name, "of unknown tar type \(String(UnicodeScalar(type)).debugDescription)")
            }
        }
        guard found else { throw ArchiveExtractor.broken("it has no file named \(member)") }
    }

    private static func copy(_ reader: GzipReader, size: Int64, padded: Int64, to destination: String)
        throws(OpenWorkError)
    {
        let descriptor = try ArchiveExtractor.create(destination)
        var remaining = size
        while remaining > 0 {
            let chunk = try reader.read(Int(min(remaining, 1 << 16)))
            guard !chunk.isEmpty else {
                close(descriptor)
                throw ArchiveExtractor.broken("the tar data ends inside a file")
            }
            let ok = chunk.withUnsafeBytes { FileIO.writeAll(descriptor, $0) }
            guard ok else {
                close(descriptor)
                throw OpenWorkError(.sidecarDownloadFailed, "cannot write \(destination)")
            }
            remaining -= Int64(chunk.count)
        }
        try ArchiveExtractor.finish(descriptor, destination)
        try skip(reader, padded - size)
    }

    private static func skip(_ reader: GzipReader, _ count: Int64) throws(OpenWorkError) {
        var remaining = count
        while remaining > 0 {
            let chunk = try reader.read(Int(min(remaining, 1 << 16)))
            guard !chunk.isEmpty else { throw ArchiveExtractor.broken("the tar data ends inside an entry") }
            remaining -= Int64(chunk.count)
        }
    }

    static func string(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field, or GNU base-256 for large values.
    static func number(_ field: ArraySlice<UInt8>) throws(OpenWorkError) -> Int64 {
        if let first = field.first, first & 0x80 != 0 {
            var value: Int64 = 0
            for byte in field.dropFirst() {
                guard value < Int64.max >> 8 else { throw ArchiveExtractor.broken("a tar size is too large") }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        let text = string(field).trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return 0 }
        guard let value = Int64(text, radix: 8), value >= 0 else {
            throw ArchiveExtractor.broken("a tar number is not octal: \(text.debugDescription)")
        }
        return value
    }

    static func verifyChecksum(_ header: [UInt8]) -> Bool {
        guard let stored = try? number(header[148..<156]) else { return false }
        var sum: Int64 = 0
        for (index, byte) in header.enumerated() {
            sum += (148..<156).contains(index) ? 32 : Int64(byte)
        }
        return sum == stored
    }

    /// pax records `"<length> <key>=<value>\n"`.
    static func pax(_ data: [UInt8]) throws(OpenWorkError) -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < data.count {
            guard let space = data[index...].firstIndex(of: 32),
                let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0,
                index + length <= data.count
            else { throw ArchiveExtractor.broken("a pax record is malformed") }
            let record = data[(space + 1)..<(index + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                records[String(decoding: record[..<equals], as: UTF8.self)] = String(
                    decoding: record[(equals + 1)...], as: UTF8.self)
            }
            index += length
        }
        return records
    }
}

// MARK: - zip

/// A zip reader: the central directory names every entry; each is checked before the member is inflated.
enum ZipReader {
    static func extract(_ archive: String, member: String, to destination: String) throws(OpenWorkError) {
        guard let data = FileManager.default.contents(atPath: archive) else {
            throw ArchiveExtractor.broken("cannot read \(archive)")
        }
        let bytes = [UInt8](data)
        func u16(_ at: Int) throws(OpenWorkError) -> Int {
            guard at >= 0, at + 2 <= bytes.count else { throw ArchiveExtractor.broken("a zip record is truncated") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8
        }
        func u32(_ at: Int) throws(OpenWorkError) -> Int {
            guard at >= 0, at + 4 <= bytes.count else { throw ArchiveExtractor.broken("a zip record is truncated") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        // End of central directory: the last 0x06054b50 within the final 64 KiB + 22 bytes.
        var end = -1
        var position = bytes.count - 22
        while position >= max(0, bytes.count - 65_557) {
            if try u32(position) == 0x0605_4b50 {
                end = position
                break
            }
            position -= 1
        }
        guard end >= 0 else { throw ArchiveExtractor.broken("no zip end-of-directory record") }
        let count = try u16(end + 10)
        let directoryOffset = try u32(end + 16)
        guard count != 0xFFFF, directoryOffset != 0xFFFF_FFFF else {
            throw ArchiveExtractor.broken("zip64 archives are not supported")
        }
        struct Found {
            var offset: Int
            var method: Int
            var compressed: Int
            var size: Int
            var crc: UInt32
        }
        var found: Found?
        var at = directoryOffset
        for _ in 0..<count {
            guard try u32(at) == 0x0201_4b50 else { throw ArchiveExtractor.broken("a zip directory entry is corrupt") }
            let madeBy = try u16(at + 4) >> 8
            let flags = try u16(at + 8)
            let method = try u16(at + 10)
            let crc = UInt32(try u32(at + 16))
            let compressed = try u32(at + 20)
            let size = try u32(at + 24)
            let nameLength = try u16(at + 28)
            let extraLength = try u16(at + 30)
            let commentLength = try u16(at + 32)
            let attributes = try u32(at + 38)
            let local = try u32(at + 42)
            guard at + 46 + nameLength <= bytes.count else { throw ArchiveExtractor.broken("a zip name is truncated") }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            at += 46 + nameLength + extraLength + commentLength
            if let reason = ArchiveExtractor.unsafeReason(name) { throw ArchiveExtractor.unsafe(name, reason) }
            if flags & 1 != 0 { throw ArchiveExtractor.unsafe(name, "encrypted") }
            let mode = attributes >> 16
            let type = madeBy == 3 ? mode & 0o170000 : 0
            let isDirectory = name.hasSuffix("/") || type == 0o040000
            switch type {
            case 0, 0o100000, 0o040000: break
            case 0o120000: throw ArchiveExtractor.unsafe(name, "a symbolic link")
            case 0o020000, 0o060000: throw ArchiveExtractor.unsafe(name, "a device")
            case 0o010000: throw ArchiveExtractor.unsafe(name, "a FIFO")
            default: throw ArchiveExtractor.unsafe(name, "of unknown file type \(String(type, radix: 8))")
            }
            guard !isDirectory, ArchiveExtractor.lastComponent(name) == member else { continue }
            guard found == nil else { throw ArchiveExtractor.unsafe(name, "a second copy of \(member)") }
            guard method == 0 || method == 8 else {
                throw ArchiveExtractor.unsafe(name, "compressed with method \(method)")
            }
            guard compressed != 0xFFFF_FFFF, size != 0xFFFF_FFFF else {
                throw ArchiveExtractor.broken("zip64 entries are not supported")
            }
            found = Found(offset: local, method: method, compressed: compressed, size: size, crc: crc)
        }
        guard let entry = found else { throw ArchiveExtractor.broken("it has no file named \(member)") }
        guard try u32(entry.offset) == 0x0403_4b50 else {
            throw ArchiveExtractor.broken("a zip local header is corrupt")
        }
        let start = entry.offset + 30 + (try u16(entry.offset + 26)) + (try u16(entry.offset + 28))
        guard start + entry.compressed <= bytes.count else { throw ArchiveExtractor.broken("zip data is truncated") }
        let payload = bytes[start..<(start + entry.compressed)]
        let content: [UInt8] = entry.method == 0 ? Array(payload) : try inflateRaw(payload, size: entry.size)
        guard content.count == entry.size else { throw ArchiveExtractor.broken("a zip entry has the wrong size") }
        let crc = content.withUnsafeBufferPointer { buffer in
            UInt32(crc32(0, buffer.baseAddress, UInt32(buffer.count)))
        }
        guard crc == entry.crc else { throw ArchiveExtractor.broken("a zip entry's CRC does not match") }
        let descriptor = try ArchiveExtractor.create(destination)
        let ok = content.withUnsafeBytes { FileIO.writeAll(descriptor, $0) }
        guard ok else {
            close(descriptor)
            throw OpenWorkError(.sidecarDownloadFailed, "cannot write \(destination)")
        }
        try ArchiveExtractor.finish(descriptor, destination)
    }

    private static func inflateRaw(_ payload: ArraySlice<UInt8>, size: Int) throws(OpenWorkError) -> [UInt8] {
        var stream = z_stream()
        guard openwork_inflate_init(&stream, -15) == Z_OK else { throw ArchiveExtractor.broken("zlib could not start") }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: size + 1)
        var input = Array(payload)
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int32 in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw ArchiveExtractor.broken("a zip entry's deflate data is corrupt") }
        return Array(output.prefix(Int(stream.total_out)))
    }
}
