public import OpenWorkJSON
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The workspace registry: the user's data, kept in the anchor-compatible state file.
///
/// Every mutation a user asks for takes the file lock, re-reads the file (other processes may have written
/// it), applies a pure change to ``RegistryState`` and is written durably before it returns. Uses
/// (`lastUsedAt`) recorded with ``noteUse(_:)`` are coalesced and written at most once per
/// ``Configuration/touchDelay``.
///
/// Symbolic links: a workspace is stored under the path the user gave (lexically normalized), which is what
/// its id is computed from, as the anchor does. Adding another spelling that resolves to the same directory
/// (through a symlink) returns the existing workspace instead of registering a duplicate, and looking a
/// workspace up by such a spelling finds it.
///
/// The registry never writes inside a workspace directory; it only reads its metadata.
public actor Registry {
    public struct Configuration: Sendable {
        public var dataDirectory: DataDirectory
        /// The home directory for `~` in paths.
        public var home: String?
        /// Unix milliseconds now; injected so tests control time.
        public var now: @Sendable () -> Int64
        /// How long a change waits for another process's change before `registry_busy`. Generous: under heavy
        /// contention on a loaded machine (8 processes × 50 durable writes) a waiter can lose the lock for
        /// seconds at a time, and waiting is what a user wants.
        public var lockTimeout: Duration = .seconds(30)
        public var touchDelay: Duration = .seconds(1)
        /// Receives registry events, e.g. `registry.recovered` when a corrupt file was replaced by its
        /// previous generation.
        public var onEvent: @Sendable (JSONValue) -> Void = { _ in }

        public init(
            dataDirectory: DataDirectory, home: String? = nil,
            now: @escaping @Sendable () -> Int64 = Clock.unixMilliseconds
        ) {
            self.dataDirectory = dataDirectory
            self.home = home
            self.now = now
        }
    }

    /// The wall clock in Unix milliseconds.
    public enum Clock {
        @Sendable public static func unixMilliseconds() -> Int64 {
            var time = timespec()
            clock_gettime(CLOCK_REALTIME, &time)
            return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
        }
    }

    private let configuration: Configuration
    private let file: StateFile
    private var cached: (state: RegistryState, identity: StateFile.Identity)?
    private var canonicalPaths: [String: String?] = [:]
    private var pendingUses: [String: Int64] = [:]
    private var flushTask: Task<Void, Never>?
    /// Durable writes performed by this instance (for tests and benchmarks).
    public private(set) var writeCount = 0

    public init(_ configuration: Configuration) throws(OpenWorkError) {
        try configuration.dataDirectory.create()
        self.configuration = configuration
        self.file = StateFile(directory: configuration.dataDirectory.path)
    }

    public var statePath: String { file.path }

    // MARK: Operations

    /// The current state (read from disk when it changed).
    public func state() async throws(OpenWorkError) -> RegistryState {
        // Unchanged since we last read or wrote it: files are replaced by atomic rename, so the same inode,
        // size and mtime mean the same contents, and no lock is needed to read them.
        if let cached, file.identity(of: file.path) == cached.identity { return cached.state }
        return try await file.withLock(timeout: configuration.lockTimeout) { () throws(OpenWorkError) in try load() }
    }

    /// Registers a local directory, or returns the workspace already registered for it.
    public func add(path: String, name: String?, cwd: String?) async throws(OpenWorkError) -> Change {
        let normalized = try normalize(path, cwd: cwd)
        try Self.validateDirectory(normalized)
        let name = try Self.validateName(name)
        return try await mutate { state, now throws(OpenWorkError) in
            let (workspace, created) = state.addLocal(path: normalized, name: name, now: now) { self.canonical($0) }
            return (workspace, created)
        }
    }

    /// Registers a remote opencode server (and optionally a directory on it).
    public func addRemote(baseURL: String, directory: String?, name: String?) async throws(OpenWorkError) -> Change {
        let url = try Self.validateBaseURL(baseURL)
        let name = try Self.validateName(name)
        var remoteDirectory: String?
        if let directory, !directory.isEmpty {
            guard directory.hasPrefix("/"), !directory.utf8.contains(0) else {
                throw OpenWorkError(.invalidPath, "the remote directory must be an absolute path: \(directory)")
            }
            remoteDirectory = (try? PathNormalizer.normalize(directory, relativeTo: nil, home: nil)) ?? directory
        }
        return try await mutate { state, now in
            state.addRemote(baseURL: url, directory: remoteDirectory, name: name, now: now)
        }
    }

    /// The workspace `reference` names (id, exact name, or path relative to `cwd`).
    public func workspace(_ reference: String, cwd: String?) async throws(OpenWorkError) -> Workspace {
        let state = try await state()
        return try resolve(reference, in: state, cwd: cwd)
    }

    /// Makes a workspace active and records the use, durably.
    public func activate(_ reference: String, cwd: String?) async throws(OpenWorkError) -> Change {
        try await mutate { state, now throws(OpenWorkError) in
            let target = try self.resolve(reference, in: state, cwd: cwd)
            guard let workspace = state.activate(target.id, now: now) else {
                throw OpenWorkError(.workspaceNotFound, "workspace not found: \(reference)")
            }
            return (workspace, false)
        }
    }

    /// Removes a workspace from the registry (its directory is not touched).
    public func remove(_ reference: String, cwd: String?) async throws(OpenWorkError) -> Change {
        try await mutate { state, _ throws(OpenWorkError) in
            let target = try self.resolve(reference, in: state, cwd: cwd)
            guard let removed = state.remove(target.id) else {
                throw OpenWorkError(.workspaceNotFound, "workspace not found: \(reference)")
            }
            return (removed, false)
        }
    }

    /// Replaces the `opencode` (or `daemon`) record of the state file, durably.
    public func setRecord(_ key: RecordKey, _ value: JSONValue?) async throws(OpenWorkError) {
        _ = try await mutate { state, _ -> (Workspace?, Bool) in
            switch key {
            case .opencode: state.opencode = value
            case .daemon: state.daemon = value
            }
            return (nil, false)
        }
    }

    public enum RecordKey: Sendable {
        case opencode, daemon
    }

    /// Records that a workspace was used now. Coalesced: written with other uses after ``Configuration/touchDelay``.
    public func noteUse(_ id: String) {
        pendingUses[id] = configuration.now()
        guard flushTask == nil else { return }
        let delay = configuration.touchDelay
        flushTask = Task { [weak self] in
            try? await Task.sleep(for: delay)
            await self?.flushUses()
        }
    }

    /// Writes pending uses now (call before shutting down).
    public func flushUses() async {
        // A flush before the timer makes the timer's own flush pointless: stop it (a no-op when the timer is
        // what called us, since it is past its sleep).
        flushTask?.cancel()
        flushTask = nil
        let uses = pendingUses
        pendingUses = [:]
        guard !uses.isEmpty else { return }
        _ = try? await mutate { state, _ -> (Workspace?, Bool) in
            for (id, time) in uses { state.touch(id, at: time) }
            return (nil, false)
        }
    }

    /// The result of a mutation: the state after it, the workspace it concerned, and whether it was new.
    public struct Change: Sendable {
        public var state: RegistryState
        public var workspace: Workspace
        public var created: Bool
    }

    // MARK: Internals

    private func mutate(
        _ body: @escaping (inout RegistryState, Int64) throws(OpenWorkError) -> (Workspace?, Bool)
    ) async throws(OpenWorkError) -> Change {
        try await file.withLock(timeout: configuration.lockTimeout) { () throws(OpenWorkError) -> Change in
            var state = try load()
            guard state.version <= RegistryState.supportedVersion else {
                throw OpenWorkError(
                    .stateVersionUnsupported,
                    "\(file.path) has version \(state.version); this openwork writes version \(RegistryState.supportedVersion) and will not modify it",
                    details: ["version": .integer(state.version), "file": .string(file.path)]
                )
            }
            let before = state
            let (workspace, created) = try body(&state, configuration.now())
            if state != before { try save(state) }
            return Change(
                state: state,
                workspace: workspace
                    ?? Workspace(id: "", name: "", path: "", kind: .local, createdAt: 0, lastUsedAt: 0),
                created: created)
        }
    }

    private func save(_ state: RegistryState) throws(OpenWorkError) {
        let identity = try file.write(state)
        writeCount += 1
        cached = identity.map { (state, $0) }
    }

    /// Reads the file (under the lock), recovering from a corrupt current generation when the previous one is
    /// good. Never returns an empty registry in place of one that exists but cannot be read.
    private func load() throws(OpenWorkError) -> RegistryState {
        if let cached, let identity = file.identity(of: file.path), identity == cached.identity {
            return cached.state
        }
        file.removeStaleTemporaries()
        switch try file.read(file.path) {
        case .bytes(let bytes, let identity):
            switch StateFile.parse(bytes) {
            case .success(let state):
                cached = (state, identity)
                return state
            case .failure(let failure):
                return try recover(reason: failure.reason)
            }
        case .missing:
            if case .bytes(let bytes, _) = try file.read(file.previousPath),
                case .success(let state) = StateFile.parse(bytes)
            {
                try save(state)
                configuration.onEvent([
                    "type": "registry.recovered", "reason": "the state file was missing",
                    "restoredFrom": .string(file.previousPath),
                ])
                return state
            }
            cached = nil
            return RegistryState()
        }
    }

    private func recover(reason: String) throws(OpenWorkError) -> RegistryState {
        guard case .bytes(let bytes, _) = try file.read(file.previousPath),
            case .success(let previous) = StateFile.parse(bytes)
        else {
            // Moving the file aside here would leave no state file, and the next start would begin empty:
            // exactly the loss this refuses to cause. It stays where it is until someone repairs it.
            throw OpenWorkError(
                .stateCorrupt,
                "\(file.path) cannot be read (\(reason)) and the previous generation \(file.previousPath) cannot either; nothing was changed — repair or remove the file",
                details: [
                    "file": .string(file.path), "previous": .string(file.previousPath), "reason": .string(reason),
                ]
            )
        }
        let quarantined = file.quarantine(now: configuration.now())
        try save(previous)
        configuration.onEvent([
            "type": "registry.recovered", "reason": .string(reason),
            "quarantined": quarantined.map(JSONValue.string) ?? .null,
            "restoredFrom": .string(file.previousPath),
        ])
        return previous
    }

    private func resolve(_ reference: String, in state: RegistryState, cwd: String?) throws(OpenWorkError) -> Workspace
    {
        let path = try? PathNormalizer.normalize(reference, relativeTo: cwd, home: configuration.home)
        return try state.resolve(reference, path: path) { canonical($0) }
    }

    private func normalize(_ path: String, cwd: String?) throws(OpenWorkError) -> String {
        do {
            return try PathNormalizer.normalize(path, relativeTo: cwd, home: configuration.home)
        } catch {
            switch error {
            case .empty: throw OpenWorkError(.invalidPath, "path is required")
            case .containsNUL: throw OpenWorkError(.invalidPath, "path contains a NUL character")
            case .relativeWithoutBase(let path):
                throw OpenWorkError(
                    .invalidPath, "relative path \"\(path)\" needs the caller's working directory (cwd)",
                    details: ["path": .string(path), "reason": "relative_without_cwd"])
            }
        }
    }

    /// The path with symbolic links resolved, remembered per path.
    private func canonical(_ path: String) -> String? {
        if let known = canonicalPaths[path] { return known }
        guard let resolved = realpath(path, nil) else {
            canonicalPaths[path] = .some(nil)
            return nil
        }
        defer { free(resolved) }
        let result = String(cString: resolved)
        canonicalPaths[path] = result
        return result
    }

    static func validateDirectory(_ path: String) throws(OpenWorkError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = errno == ENOENT ? "does not exist" : "cannot be inspected (\(StateFile.describeErrno()))"
            throw OpenWorkError(
                .invalidPath, "\(path) \(reason)",
                details: ["path": .string(path), "reason": errno == ENOENT ? "not_found" : "inaccessible"])
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw OpenWorkError(
                .invalidPath, "\(path) is not a directory",
                details: ["path": .string(path), "reason": "not_a_directory"])
        }
        guard access(path, R_OK | X_OK) == 0 else {
            throw OpenWorkError(
                .invalidPath, "\(path) cannot be read (\(StateFile.describeErrno()))",
                details: ["path": .string(path), "reason": "not_readable"])
        }
    }

    static func validateName(_ name: String?) throws(OpenWorkError) -> String? {
        guard let name else { return nil }
        let trimmed = name.trimmingWhitespace
        guard !trimmed.isEmpty else { throw OpenWorkError(.invalidName, "name must not be empty") }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw OpenWorkError(.invalidName, "name must not contain control characters")
        }
        return trimmed
    }

    /// Accepts `http(s)://host[:port][/path]` without credentials, query or fragment; drops trailing slashes.
    static func validateBaseURL(_ text: String) throws(OpenWorkError) -> String {
        let invalid = { (why: String) in
            OpenWorkError(.invalidURL, "baseUrl \(why): \(text)", details: ["baseUrl": .string(text)])
        }
        let lowered = text.lowercased()
        let scheme: String
        if lowered.hasPrefix("http://") {
            scheme = "http://"
        } else if lowered.hasPrefix("https://") {
            scheme = "https://"
        } else {
            throw invalid("must start with http:// or https://")
        }
        var rest = Substring(text.dropFirst(scheme.count))
        guard !rest.contains(where: { $0 == "?" || $0 == "#" || $0 == " " || $0.isNewline }) else {
            throw invalid("must not contain a query, a fragment or spaces")
        }
        let authority = rest.prefix { $0 != "/" }
        guard !authority.contains("@") else { throw invalid("must not contain credentials") }
        guard !authority.isEmpty, !authority.hasPrefix(":") else { throw invalid("needs a host") }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            let port = authority[authority.index(after: colon)...]
            guard let number = Int(port), (1...65_535).contains(number) else { throw invalid("has an invalid port") }
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        return scheme + rest
    }
}
