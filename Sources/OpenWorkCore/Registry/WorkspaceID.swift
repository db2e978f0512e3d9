import Crypto

/// Workspace ids, computed exactly as the OpenWork orchestrator does so both tools agree on every id.
///
/// `ws-` followed by the first 12 hex digits of the SHA-1 of a UTF-8 key: the normalized absolute path for a
/// local workspace; `baseUrl::directory` (or `baseUrl` alone) for a remote one.
public enum WorkspaceID {
    public static func local(path: String) -> String { make(path) }

    public static func remote(baseURL: String, directory: String?) -> String {
        guard let directory, !directory.isEmpty else { return make(baseURL) }
        return make(baseURL + "::" + directory)
    }

    private static func make(_ key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array(key.utf8))
        let hex = digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }
        return "ws-" + hex.joined().prefix(12)
    }
}
