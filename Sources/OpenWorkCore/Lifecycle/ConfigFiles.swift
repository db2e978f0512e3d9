import Foundation
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What opencode reads for one instance, as files on disk: the workspace root's `opencode.json`, `opencode.jsonc`,
/// `openwork.json` and `AGENTS.md`; `opencode.json[c]` in each directory above it up to its git worktree root;
/// `.opencode/openwork.json`, `.openwork/openwork.json`; and every file in the trees
/// `.opencode/{skills,commands,plugins,agents,agent}` (`.git` and `node_modules` skipped).
///
/// Paths are relative to the workspace root (`../opencode.json` for a parent's). It reads files; it watches
/// nothing (``ConfigWatcher`` does).
enum ConfigFiles {
    static let rootFiles = ["opencode.json", "opencode.jsonc", "openwork.json", "AGENTS.md"]
    static let ancestorFiles = ["opencode.json", "opencode.jsonc"]
    static let configDirectories = [".opencode", ".openwork"]
    static let trees = ["skills", "commands", "plugins", "agents", "agent"]
    static let skipped: Set<String> = [".git", "node_modules"]
    /// A bound on the files of one workspace's trees, so a huge tree cannot stall the engine.
    static let maximumFiles = 4_096
    /// Larger files are compared by size and modification time only.
    static let maximumHashedBytes = 8 << 20
    /// At most this much is read per workspace and look; the files beyond it are compared by size and time.
    static let maximumHashedTotal = 32 << 20

    /// The directories above `root` up to its git worktree root (the first with a `.git`), nearest first, with
    /// their prefix relative to `root` (`../`, `../../`…); none when `root` is not inside a git worktree, or is
    /// its root.
    static func ancestors(of root: String) -> [(path: String, prefix: String)] {
        if exists(root + "/.git") { return [] }
        var found: [(path: String, prefix: String)] = []
        var directory = root
        var prefix = ""
        while directory != "/", !directory.isEmpty {
            directory = parent(of: directory)
            prefix += "../"
            found.append((directory, prefix))
            if exists(directory + "/.git") { return found }
            if found.count > 64 { break }
        }
        return []
    }

    /// The directories to watch for `root`: itself, its ancestors up to the worktree root, its `.opencode` and
    /// `.openwork` when they exist, and every directory of the trees.
    static func directories(of root: String) -> [String] {
        var directories = [root] + ancestors(of: root).map(\.path)
        for name in configDirectories where isDirectory(root + "/" + name) { directories.append(root + "/" + name) }
        for tree in trees {
            walk(root + "/.opencode/" + tree, relative: "") { path, _, isDirectory in
                if isDirectory { directories.append(path) }
            }
        }
        return directories
    }

    /// Whether a path relative to the root is one opencode reads (or a directory that holds some).
    static func isRelevant(_ relative: String) -> Bool {
        let components = relative.split(separator: "/").map(String.init)
        guard !components.contains(where: skipped.contains) else { return false }
        if let file = components.last, components.dropLast().allSatisfy({ $0 == ".." }), components.count > 1 {
            return ancestorFiles.contains(file)
        }
        switch components.count {
        case 1: return rootFiles.contains(components[0]) || configDirectories.contains(components[0])
        case 2:
            return (configDirectories.contains(components[0]) && components[1] == "openwork.json")
                || (components[0] == ".opencode" && trees.contains(components[1]))
        default: return components[0] == ".opencode" && trees.contains(components[1])
        }
    }

    /// A fingerprint of each file: a hash of its contents (for files up to ``maximumHashedBytes``), by relative
    /// path. Two fingerprints differ exactly where a file was added, removed or changed its contents: rewriting
    /// the same bytes changes nothing.
    static func contents(of root: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        var budget = maximumHashedTotal
        for (path, relative) in files(of: root) {
            result[relative] = hash(path, budget: &budget)
        }
        return result
    }

    /// A cheap stamp of each file (size, modification time, inode), for the polling watcher.
    static func stamps(of root: String) -> [String: [Int64]] {
        var result: [String: [Int64]] = [:]
        for (path, relative) in files(of: root) {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            result[relative] = [Int64(info.st_size), modified(info), Int64(bitPattern: UInt64(info.st_ino))]
        }
        return result
    }

    /// The relative paths whose values differ between two maps (added, removed or changed), sorted.
    static func differences<Value: Equatable>(_ old: [String: Value], _ new: [String: Value]) -> [String] {
        Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
    }

    /// Every file that counts, as (absolute path, relative path).
    static func files(of root: String) -> [(String, String)] {
        var files: [(String, String)] = []
        for name in rootFiles + configDirectories.map({ $0 + "/openwork.json" }) where isFile(root + "/" + name) {
            files.append((root + "/" + name, name))
        }
        for (directory, prefix) in ancestors(of: root) {
            for name in ancestorFiles where isFile(directory + "/" + name) {
                files.append((directory + "/" + name, prefix + name))
            }
        }
        for tree in trees {
            walk(root + "/.opencode/" + tree, relative: ".opencode/" + tree) { path, relative, isDirectory in
                if !isDirectory, files.count < maximumFiles { files.append((path, relative)) }
            }
        }
        return files
    }

    /// Calls `visit` for every entry under `directory` (not following symbolic links to directories), depth
    /// first, skipping `.git` and `node_modules`.
    private static func walk(
        _ directory: String, relative: String, depth: Int = 0, _ visit: (String, String, Bool) -> Void
    ) {
        guard depth < 32, isDirectory(directory) else { return }
        if depth == 0 { visit(directory, relative, true) }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names.sorted() where !skipped.contains(name) {
            let path = directory + "/" + name
            let child = relative + "/" + name
            if isDirectory(path) {
                visit(path, child, true)
                walk(path, relative: child, depth: depth + 1, visit)
            } else {
                visit(path, child, false)
            }
        }
    }

    /// FNV-1a over the contents; the size and modification time for a file too large to read, or beyond `budget`
    /// (the bytes still to read for this look).
    private static func hash(_ path: String, budget: inout Int) -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        guard Int(info.st_size) <= min(maximumHashedBytes, budget) else {
            return UInt64(bitPattern: Int64(info.st_size)) &* 31 &+ UInt64(bitPattern: modified(info))
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        budget -= Int(info.st_size)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in FileIO.readAll(descriptor, limit: maximumHashedBytes) ?? [] {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }

    /// The modification time in nanoseconds.
    private static func modified(_ info: stat) -> Int64 {
        #if canImport(Darwin)
            let time = info.st_mtimespec
        #else
            let time = info.st_mtim
        #endif
        return Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec)
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "/" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private static func isFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
}
