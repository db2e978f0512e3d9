import Foundation

/// The current branch of a worktree, as `GET /vcs` reports it: read from `.git/HEAD` (`ref: refs/heads/<name>`),
/// `nil` outside git or with a detached HEAD (opencode then answers `{}`).
enum GitHead {
    static func branch(worktree: String) -> String? {
        guard worktree != "/",
            let head = try? String(contentsOfFile: worktree + "/.git/HEAD", encoding: .utf8)
        else { return nil }
        return parse(head)
    }

    static func parse(_ head: String) -> String? {
        let line = head.trimmingCharacters(in: .whitespacesAndNewlines)
        let prefix = "ref: refs/heads/"
        guard line.hasPrefix(prefix), line.count > prefix.count else { return nil }
        return String(line.dropFirst(prefix.count))
    }
}
