import Logging
import OpenWorkJSON
public import OpenWorkSystem

extension Engine {
    public func add(path: String, name: String?, cwd: String?) async throws(OpenWorkError) -> WorkspaceChange {
        let change = try await registry.add(path: path, name: name, cwd: cwd)
        if change.created { events.publish("workspace.added", ["workspaceId": .string(change.workspace.id)]) }
        return await changed(change)
    }

    public func addRemote(baseURL: String, directory: String?, name: String?) async throws(OpenWorkError)
        -> WorkspaceChange
    {
        let change = try await registry.addRemote(baseURL: baseURL, directory: directory, name: name)
        if change.created { events.publish("workspace.added", ["workspaceId": .string(change.workspace.id)]) }
        return await changed(change)
    }

    public func list() async throws(OpenWorkError) -> WorkspaceList {
        let state = try await registry.state()
        let pid = await servingPID()
        var views: [WorkspaceView] = []
        for workspace in state.workspaces { views.append(await detailed(view(workspace, servedBy: pid))) }
        return WorkspaceList(activeID: state.activeID, workspaces: views)
    }

    public func info(_ reference: String, cwd: String?) async throws(OpenWorkError) -> WorkspaceView {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        return await detailed(view(workspace, servedBy: await servingPID()))
    }

    /// The view plus what the lifecycle knows of its instance (busy asked of opencode when it is warm).
    private func detailed(_ view: WorkspaceView) async -> WorkspaceView {
        var view = view
        view.detailed = true
        if view.warm { view.instance = await instanceState(view.workspace.id) }
        return view
    }

    public func activate(_ reference: String, cwd: String?) async throws(OpenWorkError) -> WorkspaceChange {
        let change = try await registry.activate(reference, cwd: cwd)
        instanceUsed(change.workspace.id)
        events.publish("workspace.switched", ["workspaceId": .string(change.workspace.id)])
        return await changed(change)
    }

    /// Removes a workspace; a warm one's instance is disposed first, so opencode frees it (`instance.disposed`).
    public func remove(_ reference: String, cwd: String?) async throws(OpenWorkError) -> WorkspaceChange {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        await disposeIfWarm(workspace)
        let change = try await registry.remove(workspace.id, cwd: cwd)
        events.publish("workspace.removed", ["workspaceId": .string(change.workspace.id)])
        return await changed(change)
    }

    /// Disposes the instance of a workspace that is about to become unreachable, when opencode holds one for it
    /// (it is warm and the opencode that created it is the ready one). A failure is logged, not thrown: the
    /// workspace goes either way, and an instance of a dead opencode is gone with it.
    private func disposeIfWarm(_ workspace: Workspace) async {
        guard let pid = warm[workspace.id] else { return }
        let now = await supervisor.snapshot
        guard now.pid == pid, let endpoint = now.endpoint else {
            warm[workspace.id] = nil
            instanceGone(workspace.id)
            return
        }
        do {
            _ = try await client.disposeInstance(
                endpoint, directory: workspace.path, timeout: configuration.requestTimeout)
            forgetInstance(of: workspace)
        } catch {
            warm[workspace.id] = nil
            instanceGone(workspace.id)
            configuration.logger.warning(
                "could not dispose the instance of a removed workspace: \(error.description)",
                metadata: ["workspaceId": "\(workspace.id)"])
        }
    }

    /// Forgets that opencode holds an instance for `workspace`, announcing `instance.disposed` if it did.
    func forgetInstance(of workspace: Workspace) {
        forgetInstance(workspace.id, directory: workspace.path)
    }

    /// Forgets that opencode holds an instance for workspace `id`, announcing `instance.disposed` if it did.
    func forgetInstance(_ id: String, directory: String) {
        instanceGone(id)
        guard warm.removeValue(forKey: id) != nil else { return }
        events.publish("instance.disposed", ["workspaceId": .string(id), "directory": .string(directory)])
    }

    private func changed(_ change: Registry.Change) async -> WorkspaceChange {
        WorkspaceChange(
            activeID: change.state.activeID, workspace: view(change.workspace, servedBy: await servingPID()),
            created: change.created)
    }

    /// The stored entry plus `warm`: whether the opencode with `pid` (the one serving now) holds an instance for it.
    func view(_ workspace: Workspace, servedBy pid: Int32?) -> WorkspaceView {
        WorkspaceView(
            workspace: workspace, warm: pid != nil && warm[workspace.id] == pid, leases: leases(of: workspace.id))
    }

    /// The pid of the opencode running now; asked of the supervisor only when some workspace is warm.
    private func servingPID() async -> Int32? {
        warm.isEmpty ? nil : await supervisor.snapshot.pid
    }
}
