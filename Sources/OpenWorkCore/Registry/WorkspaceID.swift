import OpenWorkSidecars

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
        "ws-" + Digest.sha1Hex(Array(key.utf8)).prefix(12)
    }
}
