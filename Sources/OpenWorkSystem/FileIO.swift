#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reading and writing a descriptor to the end: the one place `read(2)` and `write(2)` are retried on `EINTR`
/// and short transfers are continued.
public enum FileIO {
    /// `read(2)` retried on `EINTR`: the bytes read, 0 at end of file, -1 with `errno` set on failure.
    public static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        while true {
            #if canImport(Glibc)
                let result = Glibc.read(descriptor, buffer, count)
            #else
                let result = Darwin.read(descriptor, buffer, count)
            #endif
            if result < 0 && errno == EINTR { continue }
            return result
        }
    }

    /// Hands every chunk read from `descriptor` to `body`, until end of file.
    ///
    /// - Returns: false when a read failed (`errno` set); true at end of file.
    public static func forEachChunk<E: Error>(
        _ descriptor: Int32, size: Int = 1 << 16, _ body: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) -> Bool {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, into: buffer, count: size)
            if count < 0 { return false }
            if count == 0 { return true }
            try body(UnsafeRawBufferPointer(start: buffer, count: count))
        }
    }

    /// Every byte up to end of file, or up to the first chunk that passes `limit`; `nil` when a read failed.
    public static func readAll(_ descriptor: Int32, limit: Int = .max) -> [UInt8]? {
        var bytes: [UInt8] = []
        var overLimit = false
        let complete = forEachChunk(descriptor) { chunk in
            guard !overLimit else { return }
            bytes.append(contentsOf: chunk)
            overLimit = bytes.count > limit
        }
        return complete || overLimit ? bytes : nil
    }

    /// Writes every byte, continuing short writes and retrying `EINTR`; false (with `errno` set) on failure.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
                let count = Glibc.write(descriptor, base + offset, bytes.count - offset)
            #else
                let count = Darwin.write(descriptor, base + offset, bytes.count - offset)
            #endif
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    /// ``writeAll(_:_:)`` of an array.
    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(descriptor, $0) }
    }
}
