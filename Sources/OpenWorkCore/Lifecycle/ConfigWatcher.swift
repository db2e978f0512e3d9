/// Notices changes to the files opencode reads for each watched workspace (``ConfigFiles``): with inotify on Linux,
/// or by polling their stamps (size, modification time, inode) every ``LifecycleSettings/pollInterval``.
///
/// Polling is chosen per workspace, automatically, when inotify cannot be used for it (no inotify, or a watch
/// cannot be added: the per-user limit or ``LifecycleSettings/watchBudget`` is reached), or for every workspace with
/// `OPENWORK_OPENCODE_HOT_RELOAD_WATCHER=poll`. It never blocks: ``drain(at:)`` reads what is pending and returns.
/// It says which files *may* have changed; whether their contents did is the engine's check.
///
/// Not thread-safe: owned by the engine actor.
final class ConfigWatcher {
    enum Mode: String, Sendable {
        case inotify, poll
    }

    private struct Watched {
        var root: String
        var mode: Mode
        /// inotify: the watch descriptors it uses.
        var descriptors: Set<Int32> = []
        /// poll: the stamps last seen, and when to look again.
        var stamps: [String: [Int64]] = [:]
        var nextPoll: ContinuousClock.Instant
    }

    private let forcePolling: Bool
    private let pollInterval: Duration
    private let watchBudget: Int
    private var inotify: Inotify?
    private var inotifyFailed = false
    private var watched: [String: Watched] = [:]
    /// inotify: each watch descriptor's directory and the workspaces that use it.
    private var directories: [Int32: (path: String, users: Set<String>)] = [:]

    init(settings: LifecycleSettings) {
        forcePolling = settings.watcher == .poll
        pollInterval = settings.pollInterval
        watchBudget = settings.watchBudget
    }

    /// How a workspace is watched (`nil`: it is not).
    func mode(of id: String) -> Mode? { watched[id]?.mode }

    /// Starts watching the workspace at `root` (again: its watches are brought up to date).
    func watch(_ id: String, root: String, at now: ContinuousClock.Instant) {
        if watched[id] == nil {
            watched[id] = Watched(root: root, mode: forcePolling ? .poll : .inotify, nextPoll: now + pollInterval)
        }
        if watched[id]?.mode == .inotify, !addWatches(id) { switchToPolling(id, at: now) }
        if watched[id]?.mode == .poll, watched[id]?.stamps.isEmpty == true {
            watched[id]?.stamps = ConfigFiles.stamps(of: root)
        }
    }

    func unwatch(_ id: String) {
        guard let entry = watched.removeValue(forKey: id) else { return }
        release(entry.descriptors, of: id)
    }

    /// The workspaces whose files may have changed since the last call, with the relative paths seen.
    func drain(at now: ContinuousClock.Instant) -> [(id: String, paths: [String])] {
        var changes: [String: Set<String>] = [:]
        if let inotify {
            var rescan: Set<String> = []
            for event in inotify.read() {
                if event.overflow {
                    for (id, entry) in watched where entry.mode == .inotify { changes[id, default: []].insert("") }
                    continue
                }
                guard let directory = directories[event.descriptor] else { continue }
                if event.ignored {
                    directories[event.descriptor] = nil
                    for id in directory.users { watched[id]?.descriptors.remove(event.descriptor) }
                    continue
                }
                for id in directory.users {
                    guard let root = watched[id]?.root else { continue }
                    let path = event.name.isEmpty ? directory.path : directory.path + "/" + event.name
                    let relative = Self.relative(path, to: root)
                    if ConfigFiles.isRelevant(relative) { changes[id, default: []].insert(relative) }
                    if event.isDirectory { rescan.insert(id) }
                }
            }
            for id in rescan where watched[id]?.mode == .inotify {
                if !addWatches(id) { switchToPolling(id, at: now) }
            }
        }
        for (id, entry) in watched where entry.mode == .poll && now >= entry.nextPoll {
            let stamps = ConfigFiles.stamps(of: entry.root)
            let changed = ConfigFiles.differences(entry.stamps, stamps)
            watched[id]?.stamps = stamps
            watched[id]?.nextPoll = now + pollInterval
            if !changed.isEmpty { changes[id, default: []].formUnion(changed) }
        }
        return changes.sorted { $0.key < $1.key }.map { ($0.key, $0.value.filter { !$0.isEmpty }.sorted()) }
    }

    /// Adds an inotify watch for every directory of the workspace; `false` when one cannot be added.
    private func addWatches(_ id: String) -> Bool {
        guard let root = watched[id]?.root else { return true }
        if inotify == nil, !inotifyFailed {
            inotify = Inotify()
            inotifyFailed = inotify == nil
        }
        guard let inotify else { return false }
        for path in ConfigFiles.directories(of: root) {
            let known = directories.values.contains { $0.path == path }
            guard known || directories.count < watchBudget, let descriptor = inotify.add(path) else {
                // A directory removed meanwhile is no reason to poll; anything else (ENOSPC: the limit) is.
                if !ConfigFiles.isDirectory(path) { continue }
                return false
            }
            directories[descriptor, default: (path, [])].users.insert(id)
            directories[descriptor]?.path = path
            watched[id]?.descriptors.insert(descriptor)
        }
        return true
    }

    private func switchToPolling(_ id: String, at now: ContinuousClock.Instant) {
        guard var entry = watched[id] else { return }
        release(entry.descriptors, of: id)
        entry.descriptors = []
        entry.mode = .poll
        entry.stamps = ConfigFiles.stamps(of: entry.root)
        entry.nextPoll = now + pollInterval
        watched[id] = entry
    }

    private func release(_ descriptors: Set<Int32>, of id: String) {
        for descriptor in descriptors {
            directories[descriptor]?.users.remove(id)
            if directories[descriptor]?.users.isEmpty == true {
                directories[descriptor] = nil
                inotify?.remove(descriptor)
            }
        }
    }

    static func relative(_ path: String, to root: String) -> String {
        if path == root { return "" }
        if path.hasPrefix(root + "/") { return String(path.dropFirst(root.count + 1)) }
        // An ancestor's file: one `../` per level between it and the root.
        let directory = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        let levels = root.split(separator: "/").count - directory.count
        return String(repeating: "../", count: max(levels, 0))
            + (path.split(separator: "/").last.map(String.init) ?? "")
    }
}
