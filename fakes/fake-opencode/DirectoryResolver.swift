/// Picks the instance directory of a request the way opencode does, and finds its worktree.
///
/// Query `directory` first, then the `x-opencode-directory` header (percent-decoded), then the server's
/// working directory; an empty value counts as absent; the result is made absolute and normalized
/// (`.`/`..` resolved, no trailing slash). Symlinks are not resolved and the directory need not exist.
enum DirectoryResolver {
    static let headerName = "x-opencode-directory"

    static func resolve(query: String?, header: String?, workingDirectory: String) -> String {
        let chosen: String
        if let query, !query.isEmpty {
            chosen = query
        } else if let header, !header.isEmpty {
            chosen = QueryString.decode(header)
        } else {
            chosen = workingDirectory
        }
        return absolute(chosen, relativeTo: workingDirectory)
    }

    /// `path` made absolute against `base` and normalized.
    static func absolute(_ path: String, relativeTo base: String) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        var components: [Substring] = []
        for component in joined.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// The nearest directory from `directory` upwards that holds a `.git` entry, else `/`.
    static func worktree(of directory: String, entryExists: (String) -> Bool) -> String {
        var current = directory
        while true {
            let candidate = current == "/" ? "/.git" : current + "/.git"
            if entryExists(candidate) { return current }
            guard current != "/" else { return "/" }
            current = parent(of: current)
        }
    }

    /// `directory` and its ancestors up to and including `top`, innermost first.
    static func ancestors(of directory: String, upTo top: String) -> [String] {
        var result = [directory]
        var current = directory
        while current != top && current != "/" {
            current = parent(of: current)
            result.append(current)
        }
        return result
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
