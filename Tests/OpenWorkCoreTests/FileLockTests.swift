import Foundation
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// The one lock: exclusive across holders of one process (an open file description each), given back by
/// `release()`, and a wait that ends with `nil` at its deadline rather than hanging.
@Suite("FileLock")
struct FileLockTests {
    @Test("a second holder is refused while the first holds it, and gets it once it is released")
    func exclusiveUntilReleased() async throws {
        let directory = try TemporaryDirectory("filelock")
        let path = directory.appending("x.lock")
        let first = try #require(try FileLock.tryLock(path))
        #expect(try FileLock.tryLock(path) == nil)
        #expect(try await FileLock.lock(path, timeout: .milliseconds(50)) == nil, "still held at the deadline")
        first.release()
        first.release()  // idempotent: must not release the next holder's lock
        let second = try #require(try await FileLock.lock(path, timeout: .seconds(60)))
        #expect(try FileLock.tryLock(path) == nil)
        second.release()
    }

    /// A process takes `path`, forks a child that keeps the descriptor until the file `release` exists, and
    /// exits (or, with `lockerStays`, keeps holding it): the engine that dies between a fork and its child's exec,
    /// as OrphanTests kills it. Returns once the lock is held (and, unless it stays, the locker has exited).
    static func lockThenFork(_ path: String, release: String, lockerStays: Bool) async throws -> TestProcess {
        let script = """
            import fcntl, os, sys, time
            fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fork() == 0:
                end = time.monotonic() + 600
                while not os.path.exists(sys.argv[2]) and time.monotonic() < end:
                    time.sleep(0.2)
                os._exit(0)
            print("locked", flush=True)
            if sys.argv[3] == "stay":
                time.sleep(600)
            os._exit(0)
            """
        let process = try TestProcess(
            "/usr/bin/env", ["python3", "-c", script, path, release, lockerStays ? "stay" : "go"])
        #expect(try await process.readLine(within: .seconds(120)) == "locked")
        if !lockerStays { _ = try await process.waitForExit(within: .seconds(120)) }
        return process
    }

    @Test("a data directory whose engine died is taken once the child that inherited its lock is gone")
    func aDeadTakersInheritedLockIsWaitedFor() async throws {
        let directory = try TemporaryDirectory("filelock")
        let data = DataDirectory(path: directory.appending("data"))
        try data.create()
        let lockPath = data.path + "/daemon.lock"
        let release = directory.appending("release")
        _ = try await Self.lockThenFork(lockPath, release: release, lockerStays: false)
        #expect(try FileLock.tryLock(lockPath) == nil, "the child holds it")
        #expect(FileLock.takersAreGone(lockPath), "its taker is dead")
        // The wait is a hang deadline here; the product's is 5 s.
        let owner = Task { try data.lockOwnership(waitingForTheDead: .seconds(120)) }
        FileManager.default.createFile(atPath: release, contents: nil)
        let lock = try await owner.value
        #expect(try FileLock.tryLock(lockPath) == nil, "ours now")
        lock.release()
    }

    @Test("a data directory whose engine lives is refused, without waiting for it")
    func aLiveTakerIsRefused() async throws {
        let directory = try TemporaryDirectory("filelock")
        let data = DataDirectory(path: directory.appending("data"))
        try data.create()
        let release = directory.appending("release")
        FileManager.default.createFile(atPath: release, contents: nil)
        let locker = try await Self.lockThenFork(data.path + "/daemon.lock", release: release, lockerStays: true)
        defer { locker.signal(SIGKILL) }
        #expect(!FileLock.takersAreGone(data.path + "/daemon.lock"), "its taker lives: no wait")
        #expect(throws: OpenWorkError.self) { try data.lockOwnership() }
    }

    @Test("waiters of one actor all get the lock in turn (none starves the holder)")
    func waitersOfOneActorTakeTurns() async throws {
        let directory = try TemporaryDirectory("filelock")
        let counter = Counter(path: directory.appending("y.lock"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { try await counter.increment() } }
            try await group.waitForAll()
        }
        #expect(await counter.value == 200)
    }

    @Test("a waiter whose deadline passed leaves the queue: the turn goes to the next one still waiting")
    func expiredWaiterDoesNotKeepTheTurn() async throws {
        let directory = try TemporaryDirectory("filelock")
        let path = directory.appending("w.lock")
        let holder = try #require(try FileLock.tryLock(path))
        async let patient = FileLock.lock(path, timeout: .seconds(60))
        #expect(try await FileLock.lock(path, timeout: .milliseconds(20)) == nil, "gave up at its deadline")
        holder.release()
        let next = try #require(try await patient, "the patient waiter gets the turn")
        #expect(try FileLock.tryLock(path) == nil)
        next.release()
        #expect(try FileLock.tryLock(path) != nil, "free again once given back")
    }

    @Test("a symbolic link at the lock's name is refused, not followed")
    func linkRefused() throws {
        let directory = try TemporaryDirectory("filelock")
        let path = directory.appending("z.lock")
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: directory.appending("target"))
        #expect(throws: OpenWorkError.self) { _ = try FileLock.tryLock(path) }
        #expect(!FileManager.default.fileExists(atPath: directory.appending("target")))
    }

    /// Holds the lock across a suspension, as the registry does while it reads and writes the state file.
    actor Counter {
        let path: String
        var value = 0
        init(path: String) { self.path = path }

        func increment() async throws {
            // 10 min: a hang deadline, not a figure. Alone the 200 turns take 0.04 s; in the whole suite on a loaded
            // machine over a minute, since each turn's few executor hops wait behind every other test's work.
            guard let lock = try await FileLock.lock(path, timeout: .seconds(600)) else {
                throw OpenWorkError(.registryBusy, "no turn within 10 min")
            }
            defer { lock.release() }
            let seen = value
            await Task.yield()
            value = seen + 1
        }
    }
}
