public import OpenWorkJSON
public import OpenWorkSystem

extension Engine {
    /// Takes the data directory's lock (once) and cleans up after a dead predecessor, before opencode is used.
    func own() async throws(OpenWorkError) {
        if ownership == nil {
            let directory = configuration.dataDirectory
            ownership = Task { () async -> Result<FileLock, OpenWorkError> in
                do {
                    let lock = try directory.lockOwnership()
                    await self.terminateOrphan()
                    return .success(lock)
                } catch {
                    return .failure(error as? OpenWorkError ?? OpenWorkError(.dataDirUnusable, "\(error)"))
                }
            }
        }
        guard let result = await ownership?.value else { return }
        if case .failure(let error) = result {
            ownership = nil
            throw error
        }
    }

    /// Takes the data directory's lock now instead of on first need (a daemon owns its directory from the
    /// start), terminating an opencode left by a dead predecessor. Throws `data_dir_locked` when it is owned.
    public func takeOwnership() async throws(OpenWorkError) {
        try await own()
    }

    /// Every process an engine that died left for this data directory is terminated before anything new is
    /// spawned: never an orphan, never a duplicate. Two ways to find them: the child recorded in the state file
    /// (same pid *and* start time), and on Linux every process marked with this data directory in its
    /// environment (see ``OwnedProcesses``), which also finds a child its engine died too early to record. They
    /// are not adopted: their password was never known to this process, so they could not be verified as ours.
    private func terminateOrphan() async {
        var found = OwnedProcesses.marked(owner: configuration.dataDirectory.path)
        if let record = (try? await registry.state().opencode).flatMap(ChildRecord.init(json:)),
            let ticks = record.startTicks, ProcessIdentity.isAlive(pid: record.pid, startTicks: ticks),
            !found.contains(where: { $0.pid == record.pid })
        {
            found.append(OwnedProcesses.Found(pid: record.pid, group: record.group, startTicks: ticks))
        }
        await OwnedProcesses.terminate(found, grace: .seconds(5))
        for process in found {
            events.publish("opencode.orphan_terminated", ["pid": .integer(Int64(process.pid))])
        }
        try? await registry.setRecord(.opencode, nil)
    }
}
