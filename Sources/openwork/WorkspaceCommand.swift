import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

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
