import CZlib
import Foundation

/// Builds `.tar.gz` and `.zip` archives byte by byte, including malicious ones no archiver would write.
enum ArchiveBuilder {
    struct TarEntry {
        var name: String
        var type: UInt8 = UInt8(ascii: "0")
        var content: [UInt8] = []
        var linkName = ""
    }

    static func tar(_ entries: [TarEntry]) -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int, length: Int) {
                for (index, byte) in text.utf8.prefix(length).enumerated() { header[offset + index] = byte }
            }
            func octal(_ value: Int, at offset: Int, length: Int) {
                let digits = String(value, radix: 8)
                put(
                    String(repeating: "0", count: max(0, length - 1 - digits.count)) + digits, at: offset,
                    length: length - 1)
            }
            put(entry.name, at: 0, length: 100)
            octal(0o755, at: 100, length: 8)
            octal(0, at: 108, length: 8)
            octal(0, at: 116, length: 8)
            octal(entry.content.count, at: 124, length: 12)
            octal(0, at: 136, length: 12)
            header[156] = entry.type
            put(entry.linkName, at: 157, length: 100)
            put("ustar", at: 257, length: 6)
            put("00", at: 263, length: 2)
            for index in 148..<156 { header[index] = 32 }
            let sum = header.reduce(0) { $0 + Int($1) }
            let digits = String(sum, radix: 8)
            put(String(repeating: "0", count: 6 - digits.count) + digits, at: 148, length: 6)
            header[154] = 0
            header[155] = 32
            out += header
            out += entry.content
            out += [UInt8](repeating: 0, count: (512 - entry.content.count % 512) % 512)
        }
        out += [UInt8](repeating: 0, count: 1024)
        return out
    }

    static func gzip(_ data: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(openwork_deflate_init_gzip(&stream) == Z_OK)
        defer { deflateEnd(&stream) }
        var input = data
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 64)
        let produced = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    struct ZipEntry {
        var name: String
        var content: [UInt8] = []
        /// The Unix mode in the high 16 bits of the external attributes (file type included).
        var mode: Int = 0o100755
    }

    /// A zip with stored (uncompressed) entries.
    static func zip(_ entries: [ZipEntry]) -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        func u16(_ value: Int, _ into: inout [UInt8]) { into += [UInt8(value & 0xff), UInt8(value >> 8 & 0xff)] }
        func u32(_ value: Int, _ into: inout [UInt8]) {
            into += [
                UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24 & 0xff),
            ]
        }
        for entry in entries {
            let crc = entry.content.withUnsafeBufferPointer { Int(crc32(0, $0.baseAddress, UInt32($0.count))) }
            let name = Array(entry.name.utf8)
            let offset = out.count
            u32(0x0403_4b50, &out)
            u16(20, &out)
            u16(0, &out)
            u16(0, &out)
            u16(0, &out)
            u16(0, &out)
            u32(crc, &out)
            u32(entry.content.count, &out)
            u32(entry.content.count, &out)
            u16(name.count, &out)
            u16(0, &out)
            out += name
            out += entry.content
            u32(0x0201_4b50, &directory)
            u16(3 << 8 | 20, &directory)
            u16(20, &directory)
            u16(0, &directory)
            u16(0, &directory)
            u16(0, &directory)
            u16(0, &directory)
            u32(crc, &directory)
            u32(entry.content.count, &directory)
            u32(entry.content.count, &directory)
            u16(name.count, &directory)
            u16(0, &directory)
            u16(0, &directory)
            u16(0, &directory)
            u16(0, &directory)
            u32(entry.mode << 16, &directory)
            u32(offset, &directory)
            directory += name
        }
        let directoryOffset = out.count
        out += directory
        u32(0x0605_4b50, &out)
        u16(0, &out)
        u16(0, &out)
        u16(entries.count, &out)
        u16(entries.count, &out)
        u32(directory.count, &out)
        u32(directoryOffset, &out)
        u16(0, &out)
        return out
    }
}
