import OpenWorkJSON
public import OpenWorkSystem

/// The registry's rules as pure functions of the state: no files, no clock (times are passed in).
extension RegistryState {
    /// Finds a workspace by id, then by exact name, then by normalized path (or by the canonical form of that
    /// path, so a symlinked spelling finds the workspace it points to).
    ///
    /// - Parameters:
    ///   - path: `reference` normalized as a path against the caller's directory, when it can be.
    ///   - canonical: resolves symbolic links of a normalized path; `nil` when it cannot.
    public func resolve(
        _ reference: String,
        path: String?,
        canonical: (String) -> String?
    ) throws(OpenWorkError) -> Workspace {
        if let match = workspaces.first(where: { $0.id == reference }) { return match }
        let named = workspaces.filter { $0.name == reference }
        if named.count == 1, let match = named.first { return match }
        if named.count > 1 {
            throw OpenWorkError(
                .workspaceAmbiguous,
                "\(named.count) workspaces are named \"\(reference)\"; use an id (\(named.map(\.id).joined(separator: ", ")))",
                details: ["ids": .array(named.map { .string($0.id) })]
            )
        }
        if let path {
            if let match = workspaces.first(where: { $0.kind == .local && $0.path == path }) { return match }
            if let target = canonical(path),
                let match = workspaces.first(where: { $0.kind == .local && canonical($0.path) == target })
            {
                return match
            }
        }
        throw OpenWorkError(
            .workspaceNotFound, "workspace not found: \(reference)", details: ["id": .string(reference)])
    }

    /// Adds a local workspace, or returns the one already registered for the same directory.
    ///
    /// The first workspace becomes active; a new one does not take over an existing active workspace.
    public mutating func addLocal(
        path: String,
        name: String?,
        now: Int64,
        canonical: (String) -> String?
    ) -> (workspace: Workspace, created: Bool) {
        let id = WorkspaceID.local(path: path)
        if let existing = workspaces.first(where: { $0.id == id }) { return (existing, false) }
        if let target = canonical(path),
            let existing = workspaces.first(where: { $0.kind == .local && canonical($0.path) == target })
        {
            return (existing, false)
        }
        let workspace = Workspace(
            id: id, name: name ?? PathNormalizer.baseName(path), path: path, kind: .local,
            createdAt: now, lastUsedAt: now
        )
        insert(workspace)
        return (workspace, true)
    }

    /// Adds a remote workspace, or returns the one already registered for the same URL and directory.
    public mutating func addRemote(
        baseURL: String,
        directory: String?,
        name: String?,
        now: Int64
    ) -> (workspace: Workspace, created: Bool) {
        let id = WorkspaceID.remote(baseURL: baseURL, directory: directory)
        if let existing = workspaces.first(where: { $0.id == id }) { return (existing, false) }
        let workspace = Workspace(
            id: id, name: name ?? baseURL, path: directory ?? "", kind: .remote, baseURL: baseURL,
            directory: directory, createdAt: now, lastUsedAt: now
        )
        insert(workspace)
        return (workspace, true)
    }

    private mutating func insert(_ workspace: Workspace) {
        workspaces.append(workspace)
        if activeWorkspace == nil { activeID = workspace.id }
    }

    /// Makes `id` the active workspace and records the use.
    public mutating func activate(_ id: String, now: Int64) -> Workspace? {
        guard let index = workspaces.firstIndex(where: { $0.id == id }) else { return nil }
        workspaces[index].lastUsedAt = now
        activeID = id
        return workspaces[index]
    }

    /// Removes `id`. When it was active, the most recently used remaining workspace becomes active (ties: the
    /// one registered first); with none left, no workspace is active.
    public mutating func remove(_ id: String) -> Workspace? {
        guard let index = workspaces.firstIndex(where: { $0.id == id }) else { return nil }
        let removed = workspaces.remove(at: index)
        if activeID == id || activeWorkspace == nil {
            activeID = workspaces.max { $0.lastUsedAt < $1.lastUsedAt }?.id
        }
        return removed
    }

    /// Records a use of `id` at `now` (never moves time backwards).
    public mutating func touch(_ id: String, at now: Int64) {
        guard let index = workspaces.firstIndex(where: { $0.id == id }) else { return }
        workspaces[index].lastUsedAt = max(workspaces[index].lastUsedAt, now)
    }
}
