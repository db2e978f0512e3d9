import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Loopback ports for tests.
public enum LoopbackPort {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// A 127.0.0.1 port nothing listens on: bound to port 0, read, closed. A connection to it is refused (until
    /// something else happens to take it, which a test must tolerate as "not our server").
    public static func closed() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Unavailable(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw Unavailable(description: "cannot bind 127.0.0.1:0") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
