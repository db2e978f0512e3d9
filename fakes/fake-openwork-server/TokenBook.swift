import OpenWorkJSON

/// Tokens minted by `POST /tokens`, in memory only: each a fresh random `owt_` + 48 hex digits with its scope.
///
/// Any minted token is accepted as client auth (`Authorization: Bearer …`); an owner token is also accepted
/// as host auth, as the OpenWork server does.
actor TokenBook {
    enum Scope: String, Sendable, CaseIterable { case owner, collaborator, viewer }

    private var scopes: [String: Scope] = [:]
    private(set) var minted = 0

    /// A fresh token: `{token, scope, label}` (`label` null when none was given).
    func mint(scope: Scope, label: String?) -> JSONValue {
        var generator = SystemRandomNumberGenerator()
        var token = "owt_"
        for _ in 0..<3 {
            let word = String(generator.next() as UInt64, radix: 16)
            token += String(repeating: "0", count: 16 - word.count) + word
        }
        scopes[token] = scope
        minted += 1
        return [
            "token": .string(token), "scope": .string(scope.rawValue), "label": label.map(JSONValue.string) ?? .null,
        ]
    }

    func scope(of token: String) -> Scope? { scopes[token] }
}
