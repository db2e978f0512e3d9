import Foundation

/// The opencode server the OpenWork server fronts and its Basic credentials, from `--opencode-base-url`,
/// `--opencode-directory` and the `OPENWORK_OPENCODE_*` environment.
struct OpenCodeTarget: Sendable, Equatable {
    var baseURL: String?
    var directory: String?
    var username: String?
    var password: String?

    /// `Basic base64(user:password)` when a password is set (the user defaults to `opencode`, as opencode's).
    var authorization: String? {
        guard let password, !password.isEmpty else { return nil }
        let user = username.flatMap { $0.isEmpty ? nil : $0 } ?? "opencode"
        return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    /// `baseURL + path`, without a doubled slash; `nil` when no base URL is configured.
    func url(_ path: String) -> String? {
        guard var base = baseURL, !base.isEmpty else { return nil }
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }
}
