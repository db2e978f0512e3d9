import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

struct InstanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instance", abstract: "Manage opencode's per-directory instances.",
        subcommands: [Dispose.self, Reload.self, Lease.self, Renew.self, Release.self])

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

    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reload",
            abstract: """
                Reload a workspace's instance: disposed now, or once it is idle and not leased (instance.reload).
                """)
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @Argument(help: "An id, a name or a path.") var id: String

        func run() async throws {
            try await DaemonCall.run(common, daemon: daemon, "instance.reload", CallerPath.reference(id)) { result in
                switch result["state"]?.stringValue {
                case "reloaded": "reloaded: the next use boots it with the current configuration"
                case "pending":
                    "pending: the instance is \(result["leased"] == true ? "leased" : "busy"); it reloads when it is free"
                default: "not warm: nothing to reload"
                }
            }
        }
    }

    struct Lease: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lease",
            abstract: "Lease a workspace's instance: never evicted nor reloaded until the lease ends (instance.lease).")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @Argument(help: "An id, a name or a path.") var id: String
        @Option(help: "How long the lease lasts, in ms (at most a day).") var ttlMs: Int

        func run() async throws {
            var params = CallerPath.reference(id)
            params["ttlMs"] = .integer(Int64(ttlMs))
            try await DaemonCall.run(common, daemon: daemon, "instance.lease", params) { result in
                "\(result["leaseId"]?.stringValue ?? "?") expires at \(result["expiresAt"]?.int64Value ?? 0) (Unix ms)"
            }
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "renew", abstract: "Extend a lease from now (instance.renew).")
        @OptionGroup var common: DataDirOptions
        @Argument(help: "The lease id.") var leaseId: String
        @Option(help: "The new duration from now, in ms (default: the lease's own).") var ttlMs: Int?

        func run() async throws {
            var params: JSONValue = ["leaseId": .string(leaseId)]
            if let ttlMs { params["ttlMs"] = .integer(Int64(ttlMs)) }
            try await DaemonCall.run(common, daemon: nil, "instance.renew", params) { result in
                "\(leaseId) expires at \(result["expiresAt"]?.int64Value ?? 0) (Unix ms)"
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "release", abstract: "End a lease (instance.release).")
        @OptionGroup var common: DataDirOptions
        @Argument(help: "The lease id.") var leaseId: String

        func run() async throws {
            try await DaemonCall.run(common, daemon: nil, "instance.release", ["leaseId": .string(leaseId)]) { result in
                result["released"] == true ? "released" : "no such lease"
            }
        }
    }
}
