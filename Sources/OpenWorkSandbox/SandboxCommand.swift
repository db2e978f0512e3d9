public import OpenWorkSystem

/// Runs one helper command of a sandbox backend to its end within a deadline (`docker stop`, `bwrap --version`,
/// …): its exit and output lines. A command still running at the deadline is stopped and counts as failed.
public enum SandboxCommand {
    public struct Outcome: Sendable {
        public var exit: ChildProcess.Exit?
        public var output: [String]
        public var errors: [String]

        public var succeeded: Bool { exit == .exited(0) }

        /// The last error lines, or the exit, for a message.
        public var problem: String {
            let tail = errors.suffix(3).joined(separator: " / ")
            return tail.isEmpty ? (exit.map { "\($0)" } ?? "no answer in time") : tail
        }
    }

    public static func run(_ argv: [String], environment: [String: String], timeout: Duration) async -> Outcome {
        guard let executable = argv.first else { return Outcome(exit: nil, output: [], errors: ["no command"]) }
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: executable, arguments: Array(argv.dropFirst()), environment: environment)
        } catch {
            return Outcome(exit: nil, output: [], errors: [error.description])
        }
        guard let exit = await child.waitForExit(timeout: timeout) else {
            _ = await child.stop(grace: .milliseconds(200))
            return Outcome(exit: nil, output: child.recentOutput(), errors: child.recentErrors())
        }
        await child.waitForOutputEnd(timeout: .seconds(2))
        return Outcome(exit: exit, output: child.recentOutput(), errors: child.recentErrors())
    }
}
