import ArgumentParser
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@main
struct OpenWorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openwork",
        abstract: "Runs and tests the local control plane of opencode: one opencode, many workspaces.",
        version: OpenWorkVersion.current,
        subcommands: [
            RPCCommand.self, DaemonCommand.self, WorkspaceCommand.self, InstanceCommand.self, OpenCodeCommand.self,
            StatusCommand.self, EventsCommand.self, SidecarCommand.self, ApprovalsCommand.self, StartCommand.self,
            ServeCommand.self,
        ]
    )

    static func main() async {
        // A closed stdout must be an error we handle, never a signal that kills us.
        _ = signal(SIGPIPE, SIG_IGN)
        // A write past a file-size limit must fail with EFBIG (reported), not kill the process.
        _ = signal(SIGXFSZ, SIG_IGN)
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(BooleanArguments.normalize(arguments))
        } catch {
            UsageError.exit(error, arguments: arguments)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            UsageError.exit(error, arguments: arguments)
        }
    }
}
