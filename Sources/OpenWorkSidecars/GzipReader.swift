import CZlib
import Foundation
public import OpenWorkJSON
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
