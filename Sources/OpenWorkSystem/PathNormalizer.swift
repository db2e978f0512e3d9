/// Lexical path normalization: the rules, with no file system access.
///
/// A relative path is joined to the caller's working directory (never the server's); `~` and `~/…` expand
/// to the home directory; `.` and empty components go; `..` removes the component before it (never above
/// `/`); trailing slashes go. Symbolic links are *not* resolved here: see ``Registry`` for how symlinked
/// duplicates are treated.
public enum PathNormalizer {
    public enum Failure: Error, Equatable {
        case empty
        case relativeWithoutBase(String)
        case containsNUL
    }

    /// The normalized absolute form of `path`.
    ///
    /// - Parameters:
    ///   - base: the caller's working directory, used for relative paths; must be absolute.
    ///   - home: the home directory, for `~`.
    public static func normalize(_ path: String, relativeTo base: String?, home: String?) throws(Failure) -> String {
        guard path.contains(where: { !$0.isWhitespace }) else { throw .empty }
        guard !path.utf8.contains(0) else { throw .containsNUL }
        var expanded = path
        if let home, path == "~" || path.hasPrefix("~/") {
            expanded = home + path.dropFirst()
        }
        if !expanded.hasPrefix("/") {
            guard let base, base.hasPrefix("/") else { throw .relativeWithoutBase(path) }
            expanded = base + "/" + expanded
        }
        var components: [Substring] = []
        for component in expanded.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// The last component of a normalized path (`/` for the root).
    public static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? "/"
    }
}
