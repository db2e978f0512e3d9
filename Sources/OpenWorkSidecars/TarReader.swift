import CZlib
import Foundation
public import OpenWorkJSON
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
