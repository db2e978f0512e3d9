import Foundation
import OpenWorkJSON

/// Boots an instance: waits the boot delay, fails on purpose for matching directories, finds the worktree
/// and project, and reads the config.
struct InstanceBooter: Sendable {
    /// Why a boot failed, as the named error the request that triggered it receives (status 500).
    struct Failure: Error, Equatable, Sendable {
        var name: String
        var data: JSONValue
    }

    var delay: Duration = .zero
    var failPattern: String?
    var clock: WallClock = .system
    var username: String = "opencode"
    /// What each instance holds in memory (`FAKE_OPENCODE_INSTANCE_MEMORY_MIB`).
    var holdingBytes = 0
    var globalConfig = GlobalConfig()

    func boot(_ directory: String) async throws -> Instance {
        if delay > .zero { try await Task.sleep(for: delay) }
        if let failPattern, Wildcard.matches(directory, pattern: failPattern) {
            throw Failure(
                name: "UnknownError",
                data: ["message": .string("instance boot failed for \(directory) (FAKE_OPENCODE_FAIL_BOOT)")]
            )
        }
        let worktree = DirectoryResolver.worktree(of: directory) { FileManager.default.fileExists(atPath: $0) }
        let config = try ConfigFiles.load(
            directory: directory, worktree: worktree, username: username, global: globalConfig.current)
        return Instance(
            directory: directory,
            worktree: worktree,
            projectID: Self.projectID(worktree: worktree),
            config: config,
            createdAt: clock.milliseconds(),
            holdingBytes: holdingBytes
        )
    }

    /// `global` outside git; inside, the id cached in `.git/opencode` when present, else a stable 40-hex-digit
    /// id derived from the worktree path (opencode uses the root commit's hash).
    static func projectID(worktree: String) -> String {
        guard worktree != "/" else { return "global" }
        if let cached = try? String(contentsOfFile: worktree + "/.git/opencode", encoding: .utf8) {
            let trimmed = cached.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { return trimmed }
        }
        var hex = ""
        for seed: UInt64 in [0xcbf2_9ce4_8422_2325, 0x8422_2325_cbf2_9ce4, 0x9e37_79b9_7f4a_7c15] {
            var hash = seed
            for byte in worktree.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            let digits = String(hash, radix: 16)
            hex += String(repeating: "0", count: 16 - digits.count) + digits
        }
        return String(hex.prefix(40))
    }
}
