import Foundation
import OpenWorkJSON
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock(2)` on a file, held from the moment this value exists until ``release()`` (or its
/// deinit). The kernel releases it when the process dies, however it dies; the descriptor is close-on-exec, so
/// no child keeps it. One open file description per holder, so two tasks of one process exclude each other too.
///
/// The one lock of openwork: the data directory's `daemon.lock` (one engine per data directory), the state
/// file's lock (one registry mutation at a time across processes) and each sidecar asset's install lock.
/// Waiting never blocks a thread: the holders of this process queue for their turn in ``LocalTurns`` (no polling),
/// and only the first polls the file with `LOCK_NB` while another process holds it. The lock file is opened
/// through ``DataDirectory/openFile(_:_:mode:)``, so a symbolic link planted at its name is refused, not followed.
public final class FileLock: Sendable {
    public let path: String
    private let descriptor: Mutex<Int32?>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    deinit { release() }

    /// Takes the lock if it is free.
    ///
    /// - Returns: the held lock, or `nil` when another holder has it.
    /// - Throws: `data_dir_unsafe` (a link at `path`), `data_dir_unusable` (it cannot be opened or locked).
    public static func tryLock(_ path: String) throws(OpenWorkError) -> FileLock? {
        guard LocalTurns.shared.tryTake(path) else { return nil }
        do {
            let descriptor = try open(path)
            guard try attempt(descriptor, path) else {
                close(descriptor)
                LocalTurns.shared.give(path)
                return nil
            }
            return FileLock(path: path, descriptor: descriptor)
        } catch {
            LocalTurns.shared.give(path)
            throw error
        }
    }

    /// Takes the lock, waiting up to `timeout` while another holder has it.
    ///
    /// The waiters of this process take turns (``LocalTurns``); the first opens the file once and polls it with
    /// `LOCK_NB` on the caller's actor (`isolation`), pauses starting at 200 µs and doubling up to 5 ms: a poller
    /// that sleeps long keeps losing the lock to processes that ask right at release.
    ///
    /// - Returns: the held lock, or `nil` when it was still held by another at the deadline.
    public static func lock(
        _ path: String, timeout: Duration, isolation: isolated (any Actor)? = #isolation
    ) async throws(OpenWorkError) -> FileLock? {
        let deadline = ContinuousClock.now + timeout
        guard await LocalTurns.shared.take(path, deadline: deadline) else { return nil }
        let descriptor: Int32
        do {
            descriptor = try open(path)
            var pause = Duration.microseconds(200)
            while try !attempt(descriptor, path) {
                guard ContinuousClock.now < deadline else {
                    close(descriptor)
                    LocalTurns.shared.give(path)
                    return nil
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(5))
            }
        } catch {
            LocalTurns.shared.give(path)
            throw error
        }
        return FileLock(path: path, descriptor: descriptor)
    }

    /// One `LOCK_NB` try: true when the lock is now ours, false when another holder has it. On any other
    /// failure the descriptor is closed and the error thrown.
    private static func attempt(_ descriptor: Int32, _ path: String) throws(OpenWorkError) -> Bool {
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let code = errno
            guard code == EWOULDBLOCK else {
                close(descriptor)
                throw failure("cannot lock", path, code)
            }
            return false
        }
        return true
    }

    /// Releases the lock (idempotent).
    public func release() {
        guard let descriptor = descriptor.withLock({ $0.take() }) else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        LocalTurns.shared.give(path)
    }

    private static func open(_ path: String) throws(OpenWorkError) -> Int32 {
        let descriptor = try DataDirectory.openFile(path, O_RDWR | O_CREAT)
        guard descriptor >= 0 else { throw failure("cannot open", path, errno) }
        return descriptor
    }

    /// Whether every process `/proc/locks` names as the taker of a `flock` on `path` is gone (or none is named:
    /// it was just released). `false` where there is no `/proc/locks`, or a taker lives.
    public static func takersAreGone(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0,
            let table = try? String(contentsOfFile: "/proc/locks", encoding: .utf8)
        else { return false }
        // Linux's encoding of a device number (glibc's `major` and `minor` macros).
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        let file = String(format: "%02llx:%02llx:%llu", major, minor, UInt64(info.st_ino))
        let takers = table.split(separator: "\n").compactMap { line -> Int32? in
            let fields = line.split(separator: " ")
            guard fields.count > 5, fields[1] == "FLOCK", fields[5] == file else { return nil }
            return Int32(fields[4])
        }
        return takers.allSatisfy(ProcessIdentity.isGone)
    }

    private static func failure(_ what: String, _ path: String, _ code: Int32) -> OpenWorkError {
        OpenWorkError(
            .dataDirUnusable, "\(what) \(path): \(String(cString: strerror(code)))", details: ["path": .string(path)])
    }
}

extension DataDirectory {
    /// Takes `daemon.lock`, which makes this process the only engine of the data directory (creating the
    /// directory first).
    ///
    /// - Throws: `data_dir_locked` when another engine holds it; see ``FileLock/tryLock(_:)`` for the rest.
    ///
    /// A lock whose taker has died can still be held for a moment by a child it forked that has not reached
    /// `exec` yet (the descriptor is close-on-exec, but a fork shares it until then; such a child dies with its
    /// parent). While every taker `/proc/locks` names for the file is gone, this waits for that child, up to
    /// `wait`, rather than refusing a data directory nobody owns any more.
    public func lockOwnership(waitingForTheDead wait: Duration = .seconds(5)) throws(OpenWorkError) -> FileLock {
        try create()
        let lockPath = path + "/daemon.lock"
        var taken = try FileLock.tryLock(lockPath)
        let deadline = ContinuousClock.now + wait
        while taken == nil, ContinuousClock.now < deadline, FileLock.takersAreGone(lockPath) {
            usleep(10_000)
            taken = try FileLock.tryLock(lockPath)
        }
        guard let lock = taken else {
            throw OpenWorkError(
                .dataDirLocked,
                "another openwork engine owns \(path) (lock \(lockPath)); stop it or use another --data-dir",
                details: ["dataDir": .string(path)])
        }
        return lock
    }
}
