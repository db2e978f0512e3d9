import ArgumentParser
import Testing

@testable import openwork

/// The CLI's own pieces, in process: boolean `=VALUE` spellings and the column layout of human output.
@Suite("CLI parsing and layout")
struct CLIParsingTests {
    @Test(
        "--flag=VALUE of a boolean becomes --flag or --no-flag; other arguments and everything after -- stay",
        arguments: [
            (["status", "--json=yes"], ["status", "--json"]),
            (["status", "--json=0"], ["status", "--no-json"]),
            (["rpc", "--verbose=TRUE", "--data-dir=/d"], ["rpc", "--verbose", "--data-dir=/d"]),
            (["sidecar", "list", "--allow-external=no"], ["sidecar", "list", "--no-allow-external"]),
            (["workspace", "info", "--", "--json=yes"], ["workspace", "info", "--", "--json=yes"]),
            (["approvals", "reply", "--allow", "per_1"], ["approvals", "reply", "--allow", "per_1"]),
        ])
    func normalizes(arguments: [String], expected: [String]) throws {
        #expect(try BooleanArguments.normalize(arguments) == expected)
    }

    @Test("a boolean with a value that is not one is a usage error naming the flag")
    func refusesBadValues() {
        #expect(throws: ValidationError.self) { try BooleanArguments.normalize(["status", "--json=maybe"]) }
        #expect(throws: ValidationError.self) { try BooleanArguments.normalize(["status", "--verbose="]) }
    }

    /// The list of boolean names is written by hand: each must be a real flag with a `--no-` form somewhere.
    @Test(
        "every name BooleanArguments rewrites is a flag of a real command, in both spellings",
        arguments: [("json", ["status"]), ("verbose", ["rpc"]), ("allow-external", ["sidecar", "list"])])
    func namesAreRealFlags(name: String, command: [String]) throws {
        #expect(BooleanArguments.names.contains(name))
        for value in ["yes", "no"] {
            _ = try OpenWorkCommand.parseAsRoot(try BooleanArguments.normalize(command + ["--\(name)=\(value)"]))
        }
    }

    @Test("every name is covered by the test above")
    func namesAreAllTested() {
        #expect(BooleanArguments.names == ["json", "verbose", "allow-external"])
    }

    @Test("columns: aligned two spaces apart, the last column not padded")
    func columns() {
        let text = Describe.columns([["ID", "NAME", "PATH"], ["ws-1", "a", "/x"], ["ws-22", "longer", "/y/z"]])
        #expect(
            text == """
                ID     NAME    PATH
                ws-1   a       /x
                ws-22  longer  /y/z
                """)
    }

    @Test(
        "--json is asked for by the last of --json, --json=VALUE, --no-json before --",
        arguments: [
            (["status", "--json"], true), (["status"], false), (["status", "--json", "--no-json"], false),
            (["status", "--json=yes"], true), (["status", "--json=maybe"], false), (["info", "--", "--json"], false),
        ])
    func jsonRequested(arguments: [String], expected: Bool) {
        #expect(UsageError.jsonRequested(in: arguments) == expected)
    }

    @Test(
        "an unknown command word gets the closest subcommand name, when one is close",
        arguments: [
            (["workspace", "lsit"], "openwork workspace", "lsit", "list"),
            (["daemon", "strat", "--json"], "openwork daemon", "strat", "start"),
            (["workspce", "list"], "openwork", "workspce", "workspace"),
            (["workspace", "zzzzzz"], "openwork workspace", "zzzzzz", nil),
        ] as [([String], String, String, String?)])
    func suggestion(arguments: [String], command: String, word: String, candidate: String?) {
        #expect(
            UsageError.suggestion(for: arguments, in: OpenWorkCommand.self)
                == UsageError.Suggestion(command: command, word: word, candidate: candidate))
    }

    @Test(
        "no suggestion once a command without subcommands is reached",
        arguments: [["workspace", "add", "lsit"], ["status"]])
    func noSuggestion(arguments: [String]) {
        #expect(UsageError.suggestion(for: arguments, in: OpenWorkCommand.self) == nil)
    }

    @Test("workspace add --help: the command's own options only; --help-hidden adds the daemon options under a heading")
    func helpHidesDaemonOptions() throws {
        let help = OpenWorkCommand.helpMessage(for: WorkspaceCommand.Add.self, columns: 120)
        for own in ["<path>", "--name <name>", "--data-dir <data-dir>", "--json", "--no-auto-start", "--help-hidden"] {
            #expect(help.contains(own), "\(own) in \(help)")
        }
        #expect(!help.contains("--opencode-bin"), "\(help)")
        #expect(help.split(separator: "\n").count < 30, "\(help)")
        let all = OpenWorkCommand.helpMessage(for: WorkspaceCommand.Add.self, includeHidden: true, columns: 120)
        let heading = try #require(all.firstRange(of: AutoStartOptions.title.uppercased() + ":"), "\(all)")
        let daemonOption = try #require(all.firstRange(of: "--opencode-bin <opencode-bin>"))
        #expect(heading.lowerBound < daemonOption.lowerBound)
    }

    @Test("approvals reply usage shows --allow, --deny, --reject, --always and --answer as one choice")
    func replyUsage() {
        let usage = OpenWorkCommand.usageString(for: ApprovalsCommand.Reply.self)
        #expect(usage.contains("(--allow | --deny | --reject | --always | --answer <text>)"), "\(usage)")
        #expect(!usage.contains("--allow --deny"), "\(usage)")
    }

    @Test("counts name their noun in the right number")
    func counted() {
        #expect(Describe.counted(1, "workspace") == "1 workspace")
        #expect(Describe.counted(0, "workspace") == "0 workspaces")
        #expect(Describe.counted(2, "workspace") == "2 workspaces")
    }
}
