#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The POSIX calls the fake makes, kept in one place so no other file needs a platform import.
///
/// Writes go straight to the file descriptor: nothing is buffered, so a line written here is visible to the
/// reading end at once (the `stdout` global is neither Sendable nor unbuffered).
enum SystemCalls {
    static let standardOutput: Int32 = 1
    static let standardError: Int32 = 2

    /// Writes all of `text` to `descriptor`; `false` when the descriptor is closed or broken.
    @discardableResult
    static func writeAll(_ text: String, to descriptor: Int32) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    /// Makes a write to a closed pipe fail with EPIPE instead of killing the process.
    static func ignoreBrokenPipes() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    /// Sets the disposition of `number` to ignore (Dispatch signal sources then still see it).
    static func ignoreSignal(_ number: Int32) {
        _ = signal(number, SIG_IGN)
    }

    /// Sets (or with `nil`, removes) an environment variable of this process.
    static func setEnvironmentVariable(_ name: String, to value: String?) {
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }

    static let terminate = SIGTERM
    static let interrupt = SIGINT

    static var processID: Int32 { getpid() }

    /// This process's resident memory in bytes (`/proc/self/statm`), `nil` where there is no procfs.
    static func residentBytes() -> Int? {
        let descriptor = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Ends the process without running exit handlers: what a crash looks like from outside, and a shutdown
    /// that cannot race with the event loop threads.
    static func exitImmediately(_ code: Int32) -> Never {
        _exit(code)
    }

    /// SIGKILL to the parent process (the `KILL_PARENT` knob: an engine dying at a chosen instant).
    static func killParent() {
        kill(getppid(), SIGKILL)
    }

    /// Opens `path` for appending (created 0644 when missing); `nil` when it cannot be opened.
    static func openForAppending(_ path: String) -> Int32? {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        return descriptor >= 0 ? descriptor : nil
    }

    /// Starts `sleep <seconds>` in this process's own process group, stdio on /dev/null, default signal
    /// dispositions; returns its pid. The child is never waited for: it lives until something kills it.
    ///
    /// This repeats `ProcessSpawner`'s spawn setup on purpose: the fake must not depend on the code it tests, so
    /// a bug in openwork's spawning cannot hide behind the same bug in the fake.
    static func spawnSleeper(seconds: Int, newSession: Bool = false) -> Int32? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in 0...2 {
            let flags = descriptor == 0 ? O_RDONLY : O_WRONLY
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", flags, 0)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        // `setsid` (util-linux) execs `sleep` in a new session without forking, since the child leads no group.
        let arguments = (newSession ? ["setsid"] : []) + ["sleep", String(seconds)]
        var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        pointers.append(nil)
        defer {
            for pointer in pointers { free(pointer) }
        }
        var child: pid_t = 0
        let status = pointers.withUnsafeBufferPointer { argv -> Int32 in
            guard let base = argv.baseAddress else { return EINVAL }
            return posix_spawnp(&child, arguments[0], &actions, &attributes, base, environ)
        }
        return status == 0 ? child : nil
    }
}
