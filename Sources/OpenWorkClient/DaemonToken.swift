public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The control plane's bearer token: 256 random bits, hex-encoded, new at every daemon start, kept in
/// `<data-dir>/daemon-token` (0600) for local clients.
///
/// Does not decide who may read the file: that is the data directory's 0700 mode and the file's 0600 mode.
public struct DaemonToken: Sendable, Hashable {
    public let value: String

    public init(value: String) {
        self.value = value
    }

    /// A fresh token from the system's cryptographically secure generator (`getrandom` on Linux).
    public static func generate() -> DaemonToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return DaemonToken(
            value: bytes.map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined())
    }

    /// The token file of a data directory.
    public static func path(inDataDirectory directory: String) -> String { directory + "/daemon-token" }

    /// Writes the token atomically and durably (``DurableFile``: temp file 0600 → fsync → rename → fsync the
    /// directory), so a reader sees the old token or the new one, never a partial one. A symbolic link at
    /// `path` is refused (`data_dir_unsafe`), never followed.
    public func write(to path: String) throws(OpenWorkError) {
        try DurableFile.write(Array((value + "\n").utf8), to: path)
    }

    /// Reads the token a daemon wrote, or `nil` when there is none or it cannot be trusted (see ``load(from:)``).
    public static func read(from path: String) -> DaemonToken? {
        (try? load(from: path)) ?? nil
    }

    /// Reads the token a daemon wrote, `nil` when there is none; a symbolic link or anything but a regular
    /// file at `path` is `data_dir_unsafe`, never followed.
    public static func load(from path: String) throws(OpenWorkError) -> DaemonToken? {
        let descriptor = try DataDirectory.openFile(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingWhitespace
        return text.isEmpty ? nil : DaemonToken(value: text)
    }

    /// Whether `candidate` equals this token, in time that depends only on the candidate's length.
    public func matches(_ candidate: some StringProtocol) -> Bool {
        Self.constantTimeEquals(Array(value.utf8), Array(candidate.utf8))
    }

    /// Compares every byte whatever the first difference is, so the timing reveals no prefix of the secret.
    static func constantTimeEquals(_ expected: [UInt8], _ candidate: [UInt8]) -> Bool {
        var difference = expected.count ^ candidate.count
        for index in candidate.indices {
            let reference = expected.isEmpty ? 0 : expected[index % expected.count]
            difference |= Int(reference ^ candidate[index])
        }
        return difference == 0 && !expected.isEmpty
    }
}

/// A failure of the daemon machinery itself (files, sockets), with the system's reason.
public struct DaemonError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    static func system(_ what: String) -> DaemonError {
        DaemonError("\(what): \(String(cString: strerror(errno)))")
    }
}
