import Foundation
import Logging
import OpenWorkJSON
import OpenWorkLogging
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkSystem
import OpenWorkTesting
import Testing

@testable import OpenWorkCore

#if canImport(Glibc)
    import Glibc
#endif

/// The data directory's trust rules: one canonical path, nothing followed through a symbolic link, a private
/// mode, and no directory of another user.
@Suite("Data directory trust")
struct DataDirectoryTrustTests {
    let root: TemporaryDirectory
    let dataDirectory: DataDirectory
    /// Where planted links point: outside the data directory.
    let outside: String

    init() throws {
        root = try TemporaryDirectory("trust")
        dataDirectory = DataDirectory(path: root.appending("data"))
        outside = root.appending("outside")
        try dataDirectory.create()
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Runs `body` and returns the `OpenWorkError` it threw (recording an issue when it did not throw one).
    func refusal(_ body: () async throws -> Void) async -> OpenWorkError? {
        do {
            try await body()
            Issue.record("no error")
        } catch let error as OpenWorkError {
            return error
        } catch {
            Issue.record("not an OpenWorkError: \(error)")
        }
        return nil
    }

    // MARK: One identity

    @Test("a data directory reached through a symbolic link has the real path, missing components kept")
    func canonicalPath() throws {
        let link = root.appending("link")
        #expect(symlink(dataDirectory.path, link) == 0)
        #expect(DataDirectory(path: link).path == dataDirectory.path)
        #expect(DataDirectory(path: link + "/not/yet").path == dataDirectory.path + "/not/yet")
        #expect(DataDirectory(path: link + "/../data/./").path == dataDirectory.path)
        #expect(DataDirectory.resolve(flag: "link", environment: [:], cwd: root.path) == dataDirectory)
        #expect(DataDirectory(path: "/").path == "/")
    }

    // MARK: Nothing followed

    @Test("a dangling daemon.lock link is refused with data_dir_unsafe naming it; nothing is created at its target")
    func lockLink() async throws {
        let lock = dataDirectory.path + "/daemon.lock"
        let target = outside + "/created-by-lock"
        #expect(symlink(target, lock) == 0)
        let error = await refusal { _ = try dataDirectory.lockOwnership() }
        #expect(error?.code == .dataDirUnsafe)
        #expect(error?.details["path"] == .string(lock))
        #expect(!exists(target))
    }

    @Test("a state file link is refused, never read or replaced; its target is unchanged")
    func stateFileLink() async throws {
        let target = outside + "/state.json"
        let original = Data(#"{"version":1,"workspaces":[]}"#.utf8)
        #expect(FileManager.default.createFile(atPath: target, contents: original))
        let state = dataDirectory.path + "/openwork-orchestrator-state.json"
        #expect(symlink(target, state) == 0)
        let registry = try Registry(.init(dataDirectory: dataDirectory, home: root.path))
        let read = await refusal { _ = try await registry.state() }
        #expect(read?.code == .dataDirUnsafe)
        #expect(read?.details["path"] == .string(state))
        try FileManager.default.createDirectory(atPath: root.appending("w"), withIntermediateDirectories: true)
        let write = await refusal { _ = try await registry.add(path: root.appending("w"), name: nil, cwd: nil) }
        #expect(write?.code == .dataDirUnsafe)
        #expect(FileManager.default.contents(atPath: target) == original)
        var info = stat()
        #expect(lstat(state, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK, "still the link, not replaced")
    }

    @Test("a dangling state lock link is refused; nothing is created at its target")
    func stateLockLink() async throws {
        let lock = dataDirectory.path + "/openwork-orchestrator-state.json.lock"
        let target = outside + "/created-by-state-lock"
        #expect(symlink(target, lock) == 0)
        try FileManager.default.createDirectory(atPath: root.appending("w"), withIntermediateDirectories: true)
        let registry = try Registry(.init(dataDirectory: dataDirectory, home: root.path))
        let error = await refusal { _ = try await registry.add(path: root.appending("w"), name: nil, cwd: nil) }
        #expect(error?.code == .dataDirUnsafe)
        #expect(error?.details["path"] == .string(lock))
        #expect(!exists(target))
    }

    @Test("a durable write (the auth file) onto a link is refused; the target keeps its contents")
    func durableWriteLink() async throws {
        let auth = dataDirectory.path + "/openwork-orchestrator-auth.json"
        let target = outside + "/auth.json"
        #expect(FileManager.default.createFile(atPath: target, contents: Data("mine".utf8)))
        #expect(symlink(target, auth) == 0)
        let error = await refusal { try DurableFile.write(Array("secret".utf8), to: auth) }
        #expect(error?.code == .dataDirUnsafe)
        #expect(error?.details["path"] == .string(auth))
        #expect(FileManager.default.contents(atPath: target) == Data("mine".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dataDirectory.path)
        #expect(!leftovers.contains { $0.contains(".tmp-") }, "\(leftovers)")
    }

    @Test("a FIFO planted as the state file is refused at once instead of blocking the read")
    func fifoStateFile() async throws {
        let state = dataDirectory.path + "/openwork-orchestrator-state.json"
        #expect(mkfifo(state, 0o600) == 0)
        let registry = try Registry(.init(dataDirectory: dataDirectory, home: root.path))
        let error = await refusal { _ = try await registry.state() }
        #expect(error?.code == .dataDirUnsafe)
        #expect(error?.details["path"] == .string(state))
    }

    @Test("a logs link is refused by subdirectory; nothing is created in its target; a real one is made 0700")
    func logsLink() async throws {
        let logs = dataDirectory.path + "/logs"
        #expect(symlink(outside, logs) == 0)
        let error = await refusal { try dataDirectory.subdirectory("logs") }
        #expect(error?.code == .dataDirUnsafe)
        #expect(error?.details["path"] == .string(logs))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)

        unlink(logs)
        #expect(FileManager.default.createFile(atPath: logs, contents: Data()))
        let file = await refusal { try dataDirectory.subdirectory("logs") }
        #expect(file?.code == .dataDirUnusable)
        #expect(file?.details["path"] == .string(logs))

        unlink(logs)
        #expect(try dataDirectory.subdirectory("logs") == logs)
        #expect(mode(logs) == 0o700)
    }

    // MARK: Private and ours

    @Test("a data directory of ours that others can write is tightened to 0700, with a warning naming it")
    func tightensOpenDirectory() throws {
        #expect(chmod(dataDirectory.path, 0o777) == 0)
        let lines = Locked<[String]>([])
        let settings = LogSettings(format: .pretty, write: { line in lines.withLock { $0.append(line) } })
        let logger = Logger(label: "openwork.engine") { OpenWorkLogHandler(label: $0, settings: settings) }
        try dataDirectory.create(logger: logger)
        #expect(mode(dataDirectory.path) == 0o700)
        let warnings = lines.withLock { $0 }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("WARN") == true && warnings.first?.contains(dataDirectory.path) == true)
        try dataDirectory.create(logger: logger)
        #expect(lines.withLock { $0.count } == 1, "a private directory is not reported again")
    }

    @Test("a data directory owned by another user is refused with data_dir_unsafe and left as it is")
    func refusesForeignOwner() async throws {
        try #require(geteuid() == 0, "needs root to give the directory away")
        #expect(chmod(dataDirectory.path, 0o755) == 0)
        #expect(chown(dataDirectory.path, 12_345, 12_345) == 0)
        let error = await refusal { try dataDirectory.create() }
        #expect(error?.code == .dataDirUnsafe)
        #expect(error?.details["path"] == .string(dataDirectory.path))
        #expect(error?.details["owner"] == 12_345)
        #expect(mode(dataDirectory.path) == 0o755, "not ours to change")
        let lock = await refusal { _ = try dataDirectory.lockOwnership() }
        #expect(lock?.code == .dataDirUnsafe)
        #expect(!exists(dataDirectory.path + "/daemon.lock"))
    }

    @Test("data_dir_unsafe is a data-directory error on the wire (-32003)")
    func wireCode() {
        let error = OpenWorkError(.dataDirUnsafe, "x").rpcError
        #expect(error.code == -32_003)
        #expect(error.kind == "data_dir_unsafe")
    }
}
