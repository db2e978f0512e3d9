import Foundation

/// opencode's HTTP Basic check: on when `OPENCODE_SERVER_PASSWORD` is non-empty, user from
/// `OPENCODE_SERVER_USERNAME` (default `opencode`), and `?auth_token=<base64(user:pass)>` accepted in place
/// of the header (the query wins when both are present, as in opencode).
struct BasicAuth: Equatable, Sendable {
    let username: String
    let password: String

    /// The value of `WWW-Authenticate` on a 401.
    static let challenge = "Basic realm=\"Secure Area\""

    init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// `nil` when the environment leaves the server unsecured.
    init?(environment: [String: String]) {
        guard let password = environment["OPENCODE_SERVER_PASSWORD"], !password.isEmpty else { return nil }
        let username = environment["OPENCODE_SERVER_USERNAME"].flatMap { $0.isEmpty ? nil : $0 }
        self.init(username: username ?? "opencode", password: password)
    }

    func authorizes(authorization: String?, authToken: String?) -> Bool {
        let header = authToken.flatMap { $0.isEmpty ? nil : "Basic \($0)" } ?? authorization
        guard let header, let credentials = Self.credentials(fromHeader: header) else { return false }
        return Self.constantTimeEquals(credentials.user, username)
            && Self.constantTimeEquals(credentials.password, password)
    }

    /// The user and password of a `Basic <base64>` header; the scheme is case-insensitive.
    static func credentials(fromHeader header: String) -> (user: String, password: String)? {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.count > 6, trimmed.prefix(6).lowercased() == "basic " else { return nil }
        let encoded = trimmed.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded), let decoded = String(data: data, encoding: .utf8),
            let colon = decoded.firstIndex(of: ":")
        else { return nil }
        return (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
    }

    private static func constantTimeEquals(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
