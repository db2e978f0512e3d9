import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

extension TemporaryDirectory {
    /// Creates (with parents) and returns `path/relative`.
    func subdirectory(_ relative: String) throws -> String {
        try makeDirectories(relative)[0]
    }

    /// Makes `path/relative` (or `path`) a git work tree: `git init`, else a bare `.git` folder.
    @discardableResult
    func gitRepository(_ relative: String? = nil) async throws -> String {
        let root = try relative.map(subdirectory) ?? path
        let candidates = ["/usr/bin/git", "/bin/git", "/usr/local/bin/git"]
        if let git = candidates.first(where: FileManager.default.isExecutableFile) {
            let process = try TestProcess(git, ["init", "-q", root])
            let exit = try await process.waitForExit(within: .seconds(10))
            if exit.code == 0 { return root }
        }
        try FileManager.default.createDirectory(atPath: root + "/.git", withIntermediateDirectories: true)
        return root
    }
}

/// Waits for `condition` by polling every 10 ms; throws at the deadline.
func poll(
    _ what: String,
    within deadline: Duration = .seconds(30),
    until condition: () async throws -> Bool
) async throws {
    let end = ContinuousClock.now + deadline
    while ContinuousClock.now < end {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    if try await condition() { return }
    throw PollTimeout(description: "\(what): not true within \(deadline)")
}

struct PollTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Facts about other processes, read from the kernel.
enum ProcessProbe {
    /// Whether `pid` exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    static func processGroup(of pid: Int32) -> Int32 {
        getpgid(pid)
    }
}

/// Shape checks shared by the tests.
enum Shapes {
    /// `<prefix>_<12 hex><14 base62>`.
    static func isIdentifier(_ value: JSONValue?, prefix: String) -> Bool {
        guard let text = value?.stringValue, text.hasPrefix(prefix + "_") else { return false }
        let rest = Array(text.dropFirst(prefix.count + 1))
        guard rest.count == 26 else { return false }
        let hex = rest[..<12].allSatisfy { $0.isHexDigit && !$0.isUppercase }
        let base62 = rest[12...].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return hex && base62
    }

    /// The query string for `directory`, percent-encoded.
    static func directoryQuery(_ directory: String) -> String {
        "directory=" + (directory.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? directory)
    }
}
