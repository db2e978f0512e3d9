import CSystemShims

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts a process in a new process group (or a new session) with an explicit argv and environment (never
/// through a shell): signal dispositions reset to defaults, signal mask cleared, stdout and stderr on fresh
/// pipes or appended to a file, stdin on a pipe or `/dev/null`. Only 0, 1 and 2 are inherited: every other descriptor is closed in the child (glibc's
/// `closefrom` spawn action), including ones other code in this process opened without close-on-exec. An
/// inherited write descriptor would make exec of that file fail with "Text file busy" and leak into opencode.
public enum ProcessSpawner {
    /// A started process and the parent's ends of its pipes (owned by the caller from here on).
    public struct Spawned: Sendable {
        public var pid: Int32
        /// The write end of the child's stdin, when it was asked for.
        public var input: Int32?
        /// The read ends of stdout and stderr; `nil` when they go to a file.
        public var output: Int32?
        public var errors: Int32?
    }

    /// Where the child's stdout and stderr go.
    public enum Output: Sendable, Hashable {
        /// Fresh pipes, read by the caller.
        case pipes
        /// Both appended to a file (created 0600), for a detached process.
        case appending(toFile: String)
    }

    /// How long the process may live.
    public enum Lifetime: Sendable, Hashable {
        /// As long as it likes: it survives this process (a detached daemon, a test's child).
        case independent
        /// No longer than the calling thread, hence no longer than this process (Linux): killed by the kernel
        /// when the thread that spawned it exits, however this process dies, and its whole group with it (see
        /// `openwork_spawn_tied`). Spawn from a thread that outlives the child, e.g. the one that reaps it.
        /// Elsewhere it is ``independent``.
        case endsWithSpawningThread
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// The errno of the failure, when there is one (`ENOENT`: no such file, `EACCES`: not executable).
        public var errorNumber: Int32?
    }

    public static func spawn(
        executable: String,
        arguments: [String],
        environment: [String: String],
        workingDirectory: String? = nil,
        pipeInput: Bool = false,
        output destination: Output = .pipes,
        newSession: Bool = false,
        lifetime: Lifetime = .independent
    ) throws(Failure) -> Spawned {
        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        let piped = destination == .pipes
        guard !pipeInput || openwork_pipe_cloexec(&input) == 0,
            !piped || openwork_pipe_cloexec(&output) == 0, !piped || openwork_pipe_cloexec(&errors) == 0
        else {
            for descriptor in input + output + errors where descriptor >= 0 { close(descriptor) }
            throw Failure(description: "cannot create pipes: \(String(cString: strerror(errno)))", errorNumber: errno)
        }
        #if os(Linux)
            if lifetime == .endsWithSpawningThread, destination == .pipes, !newSession {
                return try spawnTied(
                    executable: executable, arguments: arguments, environment: environment,
                    workingDirectory: workingDirectory, input: input, output: output, errors: errors,
                    pipeInput: pipeInput)
            }
        #endif
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if pipeInput {
            posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        switch destination {
        case .pipes:
            posix_spawn_file_actions_adddup2(&actions, output[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        case .appending(let file):
            posix_spawn_file_actions_addopen(&actions, 1, file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        if let workingDirectory { _ = openwork_spawn_addchdir(&actions, workingDirectory) }
        _ = openwork_spawn_addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        // A new session is also a new process group; otherwise a new group in this session.
        let grouping = newSession ? openwork_spawn_setsid_flag() : Int16(POSIX_SPAWN_SETPGROUP)
        if !newSession { posix_spawnattr_setpgroup(&attributes, 0) }
        posix_spawnattr_setflags(&attributes, grouping | Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var child: pid_t = 0
        let envp = environment.map { "\($0.key)=\($0.value)" }
        let status = withCStringArray([executable] + arguments) { argv in
            withCStringArray(envp) { env in posix_spawn(&child, executable, &actions, &attributes, argv, env) }
        }
        for descriptor in [input[0], output[1], errors[1]] where descriptor >= 0 { close(descriptor) }
        guard status == 0 else {
            for descriptor in [input[1], output[0], errors[0]] where descriptor >= 0 { close(descriptor) }
            throw Failure(
                description: "cannot start \(executable): \(String(cString: strerror(status)))", errorNumber: status)
        }
        return Spawned(
            pid: child, input: pipeInput ? input[1] : nil, output: piped ? output[0] : nil,
            errors: piped ? errors[0] : nil)
    }

    #if os(Linux)
        /// The ``Lifetime/endsWithSpawningThread`` spawn: fork and exec in C, with the same setup as above.
        private static func spawnTied(
            executable: String, arguments: [String], environment: [String: String], workingDirectory: String?,
            input: [Int32], output: [Int32], errors: [Int32], pipeInput: Bool
        ) throws(Failure) -> Spawned {
            var child: pid_t = 0
            let envp = environment.map { "\($0.key)=\($0.value)" }
            let status = withCStringArray([executable] + arguments) { argv in
                withCStringArray(envp) { env in
                    let stdin = pipeInput ? input[0] : -1
                    guard let workingDirectory else {
                        return openwork_spawn_tied(executable, argv, env, nil, stdin, output[1], errors[1], &child)
                    }
                    return openwork_spawn_tied(
                        executable, argv, env, workingDirectory, stdin, output[1], errors[1], &child)
                }
            }
            for descriptor in [input[0], output[1], errors[1]] where descriptor >= 0 { close(descriptor) }
            guard status == 0 else {
                for descriptor in [input[1], output[0], errors[0]] where descriptor >= 0 { close(descriptor) }
                throw Failure(
                    description: "cannot start \(executable): \(String(cString: strerror(status)))", errorNumber: status
                )
            }
            return Spawned(pid: child, input: pipeInput ? input[1] : nil, output: output[0], errors: errors[0])
        }
    #endif

    private static func withCStringArray<R>(
        _ strings: [String],
        _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R
    ) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer {
            for pointer in pointers { free(pointer) }
        }
        return pointers.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { preconditionFailure("a non-empty array has storage") }
            return body(base)
        }
    }
}
