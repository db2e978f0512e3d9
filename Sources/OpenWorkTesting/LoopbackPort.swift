import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Loopback ports for tests, chosen by the kernel (bound to 127.0.0.1 port 0): never a guessed number.
public enum LoopbackPort {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// A 127.0.0.1 port nothing listens on: bound to port 0, read, closed. A connection to it is refused (until
    /// something else happens to take it, which a test must tolerate as "not our server").
    public static func closed() throws -> Int {
        let bound = try bind(listening: nil)
        close(bound.descriptor)
        return bound.port
    }

    /// A socket listening on 127.0.0.1 at a free port, with room for `backlog` pending connections; the caller
    /// accepts on it and closes it.
    public static func listening(backlog: Int32 = 1) throws -> (descriptor: Int32, port: Int) {
        try bind(listening: backlog)
    }

    private static func bind(listening backlog: Int32?) throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Unavailable(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, length) == 0 && (backlog.map { listen(descriptor, $0) == 0 } ?? true)
                    && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw Unavailable(description: "cannot bind 127.0.0.1:0")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}
