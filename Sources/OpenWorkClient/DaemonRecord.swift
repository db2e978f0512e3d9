public import OpenWorkJSON
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `daemon` member of the state file: where the daemon of a data directory listens, anchor-compatible
/// (`pid, port, baseUrl, startedAt`) plus `startTicks`, the process start time that tells a live daemon from
/// a reused pid, and `settings`, what it was started with (see ``DaemonSettings``).
public struct DaemonRecord: Sendable, Hashable {
    public var pid: Int32
    public var port: Int
    public var baseURL: String
    /// Unix milliseconds.
    public var startedAt: Int64
    public var startTicks: UInt64?
    /// `nil` in a record written by a daemon that did not publish them.
    public var settings: DaemonSettings?

    public init(
        pid: Int32, port: Int, baseURL: String, startedAt: Int64, startTicks: UInt64?, settings: DaemonSettings? = nil
    ) {
        self.pid = pid
        self.port = port
        self.baseURL = baseURL
        self.startedAt = startedAt
        self.startTicks = startTicks
        self.settings = settings
    }

    public init?(json: JSONValue?) {
        guard let json, let pid = json["pid"]?.int64Value.flatMap({ Int32(exactly: $0) }),
            let port = json["port"]?.int64Value, let baseURL = json["baseUrl"]?.stringValue
        else { return nil }
        self.init(
            pid: pid, port: Int(port), baseURL: baseURL, startedAt: json["startedAt"]?.int64Value ?? 0,
            startTicks: json["startTicks"]?.int64Value.flatMap { UInt64(exactly: $0) },
            settings: json["settings"].flatMap { $0.objectValue == nil ? nil : DaemonSettings(json: $0) })
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "pid": .integer(Int64(pid)), "port": .integer(Int64(port)), "baseUrl": .string(baseURL),
            "startedAt": .integer(startedAt),
        ]
        if let startTicks, let ticks = Int64(exactly: startTicks) { members["startTicks"] = .integer(ticks) }
        if let settings { members["settings"] = settings.json }
        return .object(members)
    }

    /// Whether the recorded process still runs (same pid and, when recorded, same start time; a zombie is gone).
    public var isAlive: Bool {
        if let startTicks { return ProcessIdentity.isAlive(pid: pid, startTicks: startTicks) }
        return pid > 1 && kill(pid, 0) == 0
    }

    /// The record in a data directory's state file, read without locking (the file is replaced atomically).
    public static func read(in dataDirectory: DataDirectory) -> DaemonRecord? {
        guard let state = readState(in: dataDirectory) else { return nil }
        return DaemonRecord(json: state["daemon"])
    }

    /// The state file's contents, or `nil` when it is missing or does not parse.
    static func readState(in dataDirectory: DataDirectory) -> JSONValue? {
        // Never through a link (``DataDirectory/openFile(_:_:mode:)``): a link planted at the name reads as none.
        guard let descriptor = try? DataDirectory.openFile(dataDirectory.statePath, O_RDONLY), descriptor >= 0 else {
            return nil
        }
        defer { close(descriptor) }
        return FileIO.readAll(descriptor).flatMap { try? JSONValue(parsing: $0) }
    }
}
