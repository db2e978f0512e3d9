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
