import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

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
