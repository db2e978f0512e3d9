import CZlib
import Foundation
public import OpenWorkJSON
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
