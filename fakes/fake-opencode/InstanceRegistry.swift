import OpenWorkJSON

/// One instance per directory, booted on first use and kept until disposed.
///
/// Concurrent first requests for a directory share one boot; a failed boot is forgotten, so the next request
/// boots again. Nothing is evicted: an instance goes away only through ``dispose(_:)`` or ``disposeAll()``,
/// which publish `server.instance.disposed` and then end that directory's `/event` streams.
actor InstanceRegistry {
    /// Refusal to boot once shutdown has begun.
    struct ShuttingDown: Error {}

    private enum Entry {
        case booting(Task<Instance, any Error>)
        case ready(Instance)
    }

    private struct Record {
        var bootCount = 0
        var bootFailures = 0
    }

    private let booter: InstanceBooter
    private let bus: EventFeed
    private let clock: WallClock
    /// Called when an instance has been torn down, before its disposal is published.
    private let onDispose: @Sendable (String) async -> Void
    private var entries: [String: Entry] = [:]
    private var records: [String: Record] = [:]
    private var disposals: [(directory: String, time: Int64)] = []
    private var shuttingDown = false

    init(
        booter: InstanceBooter, bus: EventFeed, clock: WallClock,
        onDispose: @escaping @Sendable (String) async -> Void = { _ in }
    ) {
        self.booter = booter
        self.bus = bus
        self.clock = clock
        self.onDispose = onDispose
    }

    /// The instance of `directory`, booting it (or joining the boot in progress) when there is none.
    func instance(for directory: String) async throws -> Instance {
        switch entries[directory] {
        case .ready(let instance):
            return instance
        case .booting(let task):
            return try await task.value
        case nil:
            guard !shuttingDown else { throw ShuttingDown() }
            let booter = self.booter
            // Not tied to the requesting task: one client going away must not cancel a boot others await.
            let task = Task { try await booter.boot(directory) }
            entries[directory] = .booting(task)
            do {
                let instance = try await task.value
                if case .booting(let current) = entries[directory], current == task {
                    entries[directory] = .ready(instance)
                    records[directory, default: Record()].bootCount += 1
                }
                return instance
            } catch {
                if case .booting(let current) = entries[directory], current == task {
                    entries[directory] = nil
                    records[directory, default: Record()].bootFailures += 1
                }
                throw error
            }
        }
    }

    /// Disposes the instance of `directory` (waiting for its boot first); `false` when there was none.
    @discardableResult
    func dispose(_ directory: String) async -> Bool {
        guard let entry = entries.removeValue(forKey: directory) else { return false }
        let instance: Instance
        switch entry {
        case .ready(let ready):
            instance = ready
        case .booting(let task):
            guard let booted = try? await task.value else { return false }
            records[directory, default: Record()].bootCount += 1
            instance = booted
        }
        await instance.tearDown()
        await onDispose(directory)
        disposals.append((directory, clock.milliseconds()))
        bus.publish(
            type: "server.instance.disposed",
            properties: ["directory": .string(directory)],
            directory: directory,
            project: instance.eventProject
        )
        bus.endStreams(of: directory)
        return true
    }

    /// Disposes every instance; returns their directories.
    @discardableResult
    func disposeAll() async -> [String] {
        var disposed: [String] = []
        for directory in entries.keys.sorted() {
            if await dispose(directory) { disposed.append(directory) }
        }
        return disposed
    }

    /// From now on no instance boots (requests needing one get 503).
    func beginShutdown() {
        shuttingDown = true
    }

    /// The live instances, boot counts and disposals, for `/__fake/state`.
    func snapshot() -> JSONValue {
        let live: [JSONValue] = entries.keys.sorted().compactMap { directory in
            guard case .ready(let instance) = entries[directory] else { return nil }
            return [
                "directory": .string(directory),
                "created": .integer(instance.createdAt),
                "bootCount": .integer(Int64(records[directory]?.bootCount ?? 0)),
                "projectID": .string(instance.projectID),
                "worktree": .string(instance.worktree),
                "heldBytes": .integer(Int64(instance.heldBytes)),
            ]
        }
        let booting: [JSONValue] = entries.keys.sorted().compactMap { directory in
            guard case .booting = entries[directory] else { return nil }
            return .string(directory)
        }
        var bootCounts: [String: JSONValue] = [:]
        var bootFailures: [String: JSONValue] = [:]
        for (directory, record) in records {
            bootCounts[directory] = .integer(Int64(record.bootCount))
            if record.bootFailures > 0 { bootFailures[directory] = .integer(Int64(record.bootFailures)) }
        }
        return [
            "instances": .array(live),
            "booting": .array(booting),
            "bootCounts": .object(bootCounts),
            "bootFailures": .object(bootFailures),
            "disposals": .array(disposals.map { ["directory": .string($0.directory), "time": .integer($0.time)] }),
            "disposalCount": .integer(Int64(disposals.count)),
        ]
    }
}
