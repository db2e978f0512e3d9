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
}
