public import OpenWorkClient

/// Who may talk to the control plane: the checks every request passes before any handler runs.
///
/// Loopback is not a security boundary (any browser tab reaches 127.0.0.1), so the rules are, in order:
/// the `Host` must name this server by a loopback spelling and its port (DNS rebinding sends a foreign name),
/// and so must the authority of an absolute-form target (`GET http://evil.example/health`), which RFC 9112
/// puts before the Host header; an `Origin`, when present, must be in the allow-list (empty by default); and every route except
/// `GET /health` needs the bearer token. This type decides; it does no I/O.
public struct AccessPolicy: Sendable {
    public var port: Int
    public var allowedOrigins: Set<String>
    public var token: DaemonToken

    public init(port: Int, allowedOrigins: Set<String>, token: DaemonToken) {
        self.port = port
        self.allowedOrigins = allowedOrigins
        self.token = token
    }

    /// What a request carries that matters for access.
    public struct Credentials: Sendable {
        public var method: String
        public var path: String
        /// The first `Host` header (HTTP/1's authority), `nil` when there was none.
        public var authority: String?
        /// Whether a second `Host` header came along (Hummingbird keeps only the first as the authority).
        public var repeatedHost: Bool
        public var origin: String?
        public var authorization: String?
        /// The request target as sent, when it was not origin-form (`/path`): an absolute URI, `*`, or anything
        /// else a client wrote. `nil` for the usual `/path` target.
        public var target: String?

        public init(
            method: String, path: String, authority: String?, repeatedHost: Bool = false, origin: String? = nil,
            authorization: String? = nil, target: String? = nil
        ) {
            self.method = method
            self.path = path
            self.authority = authority
            self.repeatedHost = repeatedHost
            self.origin = origin
            self.authorization = authorization
            self.target = target
        }
    }

    public enum Verdict: Sendable, Equatable {
        case allow
        /// Refused with an HTTP status, a stable `kind` and a message that never contains a secret.
        case refuse(status: Int, kind: String, message: String)
    }

    /// The `Host` values that name this server.
    public var allowedAuthorities: Set<String> {
        Set(Self.loopbackHosts.map { "\($0):\(port)" })
    }

    /// The loopback spellings of this machine a `Host` may use.
    static let loopbackHosts = ["127.0.0.1", "localhost", "[::1]"]

    /// Whether `authority` is one of ``allowedAuthorities``, ignoring ASCII case; compared in place, since every
    /// request asks.
    public func namesThisServer(_ authority: String) -> Bool {
        let bytes = authority.utf8
        guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")),
            bytes[bytes.index(after: colon)...].elementsEqual(String(port).utf8)
        else { return false }
        let host = bytes[..<colon]
        return Self.loopbackHosts.contains { Self.equalIgnoringCase(host, $0.utf8) }
    }

    /// Whether `bytes` spell `lowercase` with any of its ASCII letters in upper case.
    static func equalIgnoringCase(_ bytes: some Collection<UInt8>, _ lowercase: String.UTF8View) -> Bool {
        bytes.count == lowercase.count
            && zip(bytes, lowercase).allSatisfy { byte, expected in
                byte == expected || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) && byte | 0x20 == expected
            }
    }

    public func verdict(for request: Credentials) -> Verdict {
        guard let authority = request.authority, !request.repeatedHost, namesThisServer(authority) else {
            return .refuse(
                status: 421, kind: "host_not_allowed",
                message: "the Host header must be 127.0.0.1:\(port), localhost:\(port) or [::1]:\(port)")
        }
        if let target = request.target {
            guard let targetAuthority = Self.authority(ofAbsoluteTarget: target), namesThisServer(targetAuthority)
            else {
                return .refuse(
                    status: 421, kind: "host_not_allowed",
                    message:
                        "the request target must be a path, or name 127.0.0.1:\(port), localhost:\(port) or [::1]:\(port)"
                )
            }
        }
        if let origin = request.origin, !allowedOrigins.contains(origin) {
            return .refuse(status: 403, kind: "origin_not_allowed", message: "origin not allowed: \(origin)")
        }
        if request.method == "GET" && request.path == "/health" { return .allow }
        if request.method == "OPTIONS" && request.origin != nil { return .allow }
        guard let authorization = request.authorization, let token = Self.bearerToken(authorization),
            self.token.matches(token)
        else {
            return .refuse(
                status: 401, kind: "unauthorized",
                message: "a bearer token is required (Authorization: Bearer <token from the daemon-token file>)")
        }
        return .allow
    }

    /// What follows `Bearer ` (the scheme in any case), `nil` for another scheme or nothing after it.
    static func bearerToken(_ authorization: String) -> Substring? {
        let scheme = "bearer ".utf8
        let bytes = authorization.utf8
        guard bytes.count > scheme.count, equalIgnoringCase(bytes.prefix(scheme.count), scheme) else { return nil }
        return authorization[bytes.index(bytes.startIndex, offsetBy: scheme.count)...]
    }

    /// The authority of an absolute-form target (`http://host:port/path`), `nil` for any other form or for an
    /// authority with user information (`http://user@host/`), which no client of ours sends.
    static func authority(ofAbsoluteTarget target: String) -> String? {
        guard let separator = target.firstRange(of: "://"), target[..<separator.lowerBound].lowercased() == "http"
        else { return nil }
        let rest = target[separator.upperBound...]
        let authority = rest.prefix { !"/?#".contains($0) }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        return String(authority)
    }
}
