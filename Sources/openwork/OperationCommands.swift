import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

/// Sends one RPC call to the daemon of the data directory and prints the outcome.
enum DaemonCall {
    /// - Parameter daemon: when given (a command that may start the daemon), a daemon is started with these
    ///   options if none runs, unless `--no-auto-start`; settings given that the running daemon does not have are
    ///   reported as warnings. Otherwise a missing daemon is the error `daemon_not_running`.
    static func run(
        _ common: DataDirOptions, daemon: AutoStartOptions?, _ method: String, _ params: JSONValue? = nil,
        human: @escaping (JSONValue) -> String
    ) async throws {
        let environment = ProcessInfo.processInfo.environment
        let autoStart = try daemon?.enabled(environment) == true ? daemon?.serve : nil
        try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
            let directory = common.dataDirectory
            let client = DaemonClient(dataDirectory: directory)
            var startedHere = false
            func finish(_ result: JSONValue, _ record: DaemonRecord) {
                var result = result
                if let daemon, !startedHere {
                    result = SettingsWarnings.report(
                        SettingsWarnings.messages(given: daemon.serve.given(environment), record: record), in: result)
                }
                CommandOutput.success(result, json: common.json, human: human(result))
            }
            // The fast path: a live daemon process holds its recorded port, so the call goes straight there
            // (one request, no health probe first). Only when that fails does the slow path decide.
            if let record = DaemonRecord.read(in: directory), record.isAlive {
                do throws(OpenWorkError) {
                    finish(try await client.call(method, params, record: record), record)
                    return
                } catch {
                    // Not listening yet, or gone (the call never left): the slow path below finds out which.
                    let neverSent = error.code == .daemonNotRunning || error.details["sent"] == false
                    guard neverSent else { throw error }
                }
            }
            let record: DaemonRecord
            if let running = await client.running() {
                record = running.record
            } else if let autoStart {
                let started = try await DaemonCommand.Start.start(autoStart, in: directory)
                record = started.record
                startedHere = !started.alreadyRunning
                if startedHere {
                    FileHandle.standardError.write(
                        Data("openwork: started daemon pid \(record.pid) at \(record.baseURL)\n".utf8))
                }
            } else {
                record = try await client.requireRunning().record
            }
            finish(try await client.call(method, params, record: record), record)
        }
    }
}

/// Paths as the caller means them: `~` is the caller's home, relative paths are relative to the caller's
/// working directory. Resolved here so the daemon only ever sees absolute paths.
enum CallerPath {
    static var workingDirectory: String { FileManager.default.currentDirectoryPath }

    /// The absolute form of `path`; an empty or blank path stays as it is, so the daemon refuses it
    /// (`invalid_path`) instead of it becoming the working directory.
    static func absolute(_ path: String) -> String {
        if !path.contains(where: { !$0.isWhitespace }) { return path }
        if path == "~" || path.hasPrefix("~/") {
            let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
            return home + path.dropFirst()
        }
        if path.hasPrefix("/") { return path }
        return workingDirectory + "/" + path
    }

    /// A workspace reference: an id or a name goes as is (with the caller's directory as `cwd`, so the daemon
    /// resolves a relative path there too); something spelled as a path is made absolute first.
    static func reference(_ reference: String) -> JSONValue {
        let pathLike = reference.hasPrefix(".") || reference.hasPrefix("~") || reference.contains("/")
        return ["id": .string(pathLike ? absolute(reference) : reference), "cwd": .string(workingDirectory)]
    }
}

/// One-line descriptions for people.
enum Describe {
    static func workspace(_ workspace: JSONValue?) -> String {
        let id = workspace?["id"]?.stringValue ?? "?"
        let name = workspace?["name"]?.stringValue ?? "?"
        let place = workspace?["baseUrl"]?.stringValue.map { "\($0) \(workspace?["directory"]?.stringValue ?? "")" }
        return "\(id) \(name) \(place ?? workspace?["path"]?.stringValue ?? "")"
    }

    /// A count with its noun in the right number: `1 workspace`, `2 workspaces`.
    static func counted(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    static func table(_ result: JSONValue) -> String {
        let active = result["activeId"]?.stringValue
        let workspaces = result["workspaces"]?.arrayValue ?? []
        guard !workspaces.isEmpty else { return "no workspaces" }
        let rows =
            [["", "ID", "NAME", "TYPE", "WARM", "PATH"]]
            + workspaces.map { workspace in
                [
                    workspace["id"]?.stringValue == active ? "*" : "",
                    workspace["id"]?.stringValue ?? "", workspace["name"]?.stringValue ?? "",
                    workspace["workspaceType"]?.stringValue ?? "",
                    workspace["warm"]?.boolValue == true ? "yes" : "no",
                    workspace["baseUrl"]?.stringValue ?? workspace["path"]?.stringValue ?? "",
                ]
            }
        return columns(rows)
    }

    /// Rows as aligned columns two spaces apart; the last column is not padded (it holds paths and messages).
    static func columns(_ rows: [[String]]) -> String {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func opencode(_ status: JSONValue) -> String {
        let state = status["state"]?.stringValue ?? "unknown"
        guard let pid = status["pid"]?.int64Value else { return "opencode \(state)" }
        return "opencode \(state): pid \(pid) at \(status["baseUrl"]?.stringValue ?? "?")"
    }
}

struct WorkspaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace",
        abstract: "Add, list, inspect, switch and remove workspaces (starts the daemon when it is not running).",
        subcommands: [
            Add.self, AddRemote.self, List.self, Info.self, Switch.self, Remove.self, Path.self, Connect.self,
        ]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Register a local directory (workspace.add).")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @Argument(help: "The directory (relative to the current directory, or ~/…).") var path: String
        @Option(help: "The name (default: the directory's base name).") var name: String?

        func run() async throws {
            var params: JSONValue = ["path": .string(CallerPath.absolute(path))]
            if let name { params["name"] = .string(name) }
            try await DaemonCall.run(common, daemon: daemon, "workspace.add", params) { result in
                let verb = result["created"] == false ? "already registered" : "added"
                return "\(verb): \(Describe.workspace(result["workspace"]))"
            }
        }
    }

    struct AddRemote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-remote", abstract: "Register a remote opencode server (workspace.addRemote).")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @Argument(help: "The server's http(s) base URL.") var baseURL: String
        @Option(help: "The directory on that server.") var directory: String?
        @Option(help: "The name.") var name: String?

        func run() async throws {
            var params: JSONValue = ["baseUrl": .string(baseURL)]
            if let directory { params["directory"] = .string(directory) }
            if let name { params["name"] = .string(name) }
            try await DaemonCall.run(common, daemon: daemon, "workspace.addRemote", params) { result in
                "added: \(Describe.workspace(result["workspace"]))"
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the workspaces (workspace.list).")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions

        func run() async throws {
            try await DaemonCall.run(common, daemon: daemon, "workspace.list", human: Describe.table)
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "info", abstract: "Show one workspace (workspace.info).")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @Argument(help: "An id, a name or a path.") var id: String

        func run() async throws {
            try await DaemonCall.run(common, daemon: daemon, "workspace.info", CallerPath.reference(id)) { result in
                Describe.workspace(result["workspace"])
            }
        }
    }

    struct Switch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "switch", abstract: "Make a workspace active (workspace.switch).")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @Argument(help: "An id, a name or a path.") var id: String

        func run() async throws {
            try await DaemonCall.run(common, daemon: daemon, "workspace.switch", CallerPath.reference(id)) { result in
                "active: \(Describe.workspace(result["workspace"]))"
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Forget a workspace; its directory is untouched (workspace.remove).")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @Argument(help: "An id, a name or a path.") var id: String

        func run() async throws {
            try await DaemonCall.run(common, daemon: daemon, "workspace.remove", CallerPath.reference(id)) { result in
                "removed: \(Describe.workspace(result["workspace"]))"
            }
        }
    }

    struct Path: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "path",
            abstract: "Ask opencode where the workspace points, starting it if needed (workspace.path).")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @Argument(help: "An id, a name or a path.") var id: String

        func run() async throws {
            try await DaemonCall.run(common, daemon: daemon, "workspace.path", CallerPath.reference(id)) { result in
                "\(result["workspace"]?["id"]?.stringValue ?? "?"): \(result["path"]?["directory"]?.stringValue ?? "?")"
            }
        }
    }

    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "connect",
            abstract: "What an integrator needs to reach opencode for a workspace (workspace.connect).",
            discussion: "The human output names the auth file instead of printing the password; --json has it all."
        )
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @Argument(help: "An id, a name or a path.") var id: String

        func run() async throws {
            try await DaemonCall.run(common, daemon: daemon, "workspace.connect", CallerPath.reference(id)) {
                result in
                let credentials = result["authFile"]?.stringValue.map { "; credentials in \($0)" } ?? ""
                return "\(result["baseUrl"]?.stringValue ?? "?") --dir \(result["directory"]?.stringValue ?? "?")"
                    + credentials
            }
        }
    }
}

struct InstanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instance", abstract: "Manage opencode's per-directory instances.", subcommands: [Dispose.self])

    struct Dispose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dispose",
            abstract: "Free opencode's instance for a workspace; the next use boots a fresh one (instance.dispose).")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @Argument(help: "An id, a name or a path.") var id: String

        func run() async throws {
            try await DaemonCall.run(common, daemon: daemon, "instance.dispose", CallerPath.reference(id)) { result in
                result["disposed"] == true ? "disposed" : "nothing to dispose"
            }
        }
    }
}

struct OpenCodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opencode", abstract: "The supervised opencode (needs a running daemon).",
        subcommands: [Status.self, Restart.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "The supervisor's state (opencode.status).")
        @OptionGroup var common: DataDirOptions

        func run() async throws {
            try await DaemonCall.run(common, daemon: nil, "opencode.status", human: Describe.opencode)
        }
    }

    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restart",
            abstract: "Start a fresh opencode now, also out of `failed` (opencode.restart).")
        @OptionGroup var common: DataDirOptions

        func run() async throws {
            try await DaemonCall.run(common, daemon: nil, "opencode.restart", human: Describe.opencode)
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "The daemon's health (never starts one; daemon_not_running otherwise).",
        discussion: """
            With --opencode-url and/or --openwork-url, checks those services directly instead (no daemon needed): \
            opencode's GET /global/health with Basic auth (user --opencode-username, else \
            $OPENWORK_OPENCODE_USERNAME, else opencode; password --opencode-password, else \
            $OPENWORK_OPENCODE_PASSWORD, which keeps it off the command line), an openwork server's GET /health. \
            --json: {"ok":…,"opencode":{"ok":…,"url":…,"health"|"error","kind"},"openwork":{…}}; exit 1 when a \
            checked service is down.
            """)
    @OptionGroup var common: DataDirOptions
    @Option(help: "Check the opencode server at this URL directly.") var opencodeUrl: String?
    @Option(help: "The opencode user (default: $OPENWORK_OPENCODE_USERNAME, else opencode).")
    var opencodeUsername: String?
    @Option(help: "The opencode password (prefer $OPENWORK_OPENCODE_PASSWORD).") var opencodePassword: String?
    @Option(help: "Check the openwork server (e.g. a daemon's baseUrl) at this URL directly.") var openworkUrl: String?

    func run() async throws {
        if opencodeUrl != nil || openworkUrl != nil {
            try await checkServices()
            return
        }
        try await DaemonCall.run(common, daemon: nil, "health") { health in
            let active = health["activeId"]?.stringValue ?? "none"
            return "openwork \(health["version"]?.stringValue ?? "?"): daemon pid \(health["pid"]?.int64Value ?? 0), "
                + "\(Describe.opencode(health["opencode"] ?? .null)), "
                + "\(Describe.counted(Int(health["workspaceCount"]?.int64Value ?? 0), "workspace")), active \(active)"
        }
    }
}

extension StatusCommand {
    /// The direct checks; every service is checked even when an earlier one is down.
    private func checkServices() async throws {
        let environment = ProcessInfo.processInfo.environment
        var result: [String: JSONValue] = [:]
        if let opencodeUrl {
            result["opencode"] = await ServiceCheck.opencode(
                url: opencodeUrl, username: opencodeUsername ?? environment["OPENWORK_OPENCODE_USERNAME"],
                password: opencodePassword ?? environment["OPENWORK_OPENCODE_PASSWORD"])
        }
        if let openworkUrl { result["openwork"] = await ServiceCheck.openwork(url: openworkUrl) }
        let ok = result.values.allSatisfy { $0["ok"] == true }
        result["ok"] = .bool(ok)
        if common.json {
            print((try? JSONValue.object(result).serialized(.compact)) ?? #"{"ok":false}"#)
        } else {
            for name in ["opencode", "openwork"] {
                guard let check = result[name] else { continue }
                let url = check["url"]?.stringValue ?? "?"
                if check["ok"] == true {
                    let version = check["health"]?["version"]?.stringValue.map { " (version \($0))" } ?? ""
                    print("\(name) \(url): healthy\(version)")
                } else {
                    let kind = check["kind"]?.stringValue ?? "unknown"
                    FileHandle.standardError.write(
                        Data("openwork: \(check["error"]?.stringValue ?? "\(name) is down") [\(kind)]\n".utf8))
                }
            }
        }
        if !ok { throw ExitCode(1) }
    }
}

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Stream the daemon's events as JSON lines until it stops (events.subscribe over GET /events).",
        discussion:
            "One event object per line on stdout, flushed at once; `--types opencode.*,workspace.added` filters."
    )
    @OptionGroup var common: DataDirOptions
    @Option(help: "Comma-separated event types; a trailing `.*` matches a prefix.") var types: String?

    func run() async throws {
        try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
            let client = DaemonClient(dataDirectory: common.dataDirectory)
            let record = try await client.requireRunning().record
            try await client.followEvents(
                types: types.map { $0.split(separator: ",").map(String.init) }, record: record,
                onSubscribed: {
                    FileHandle.standardError.write(Data("openwork: following events of \(record.baseURL)\n".utf8))
                },
                onEvent: { event in
                    guard let line = try? event.serialized(.compact) else { return }
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))
                })
        }
    }
}
