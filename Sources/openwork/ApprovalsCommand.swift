import ArgumentParser
import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem

/// `--approval manual|auto` and `--approval-timeout MS`: how the engine answers opencode's permission requests.
/// Part of the serve options of `openwork rpc` and `openwork daemon run` (and passed on by an auto-start).
struct ApprovalOptions: ParsableArguments {
    @Option(
        help:
            "manual (someone answers) or auto (answer `once` at once) (default: $OPENWORK_APPROVAL_MODE, else manual).")
    var approval: String?

    @Option(
        help:
            "Reject permission requests nobody answered within this many ms (default: $OPENWORK_APPROVAL_TIMEOUT_MS, else never)."
    )
    var approvalTimeout: Int?

    func validate() throws {
        do {
            _ = try settings(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("\(error.message) [\(error.code)]")
        }
    }

    func settings(environment: [String: String]) throws(OpenWorkError) -> ApprovalSettings {
        try ApprovalSettings.resolve(mode: approval, timeoutMs: approvalTimeout, environment: environment)
    }

    var arguments: [String] {
        (approval.map { ["--approval", $0] } ?? [])
            + (approvalTimeout.map { ["--approval-timeout", String($0)] } ?? [])
    }
}

/// `openwork approvals list|reply`: opencode's permission requests through the daemon (started when needed), or
/// an OpenWork server's write approvals directly with `--openwork-url` (no daemon).
struct ApprovalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals",
        abstract: "List and answer pending approvals: opencode's permission requests or an OpenWork server's.",
        subcommands: [List.self, Reply.self])

    /// Where an OpenWork server's approvals live: `--openwork-url` / `OPENWORK_URL`, `--host-token` /
    /// `OPENWORK_HOST_TOKEN` (prefer the environment: argv is visible to every user).
    struct ServerOptions: ParsableArguments {
        @Option(help: "An OpenWork server (host mode): its approvals instead of opencode's (default: $OPENWORK_URL).")
        var openworkUrl: String?

        @Option(help: "The OpenWork server's host token (prefer $OPENWORK_HOST_TOKEN, which keeps it off argv).")
        var hostToken: String?

        /// The server client when a URL was given (flag or environment).
        func client() throws(OpenWorkError) -> OpenWorkServerClient? {
            let environment = ProcessInfo.processInfo.environment
            guard let url = openworkUrl ?? environment["OPENWORK_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
                return nil
            }
            return try OpenWorkServerClient(
                baseURL: url, hostToken: hostToken ?? environment["OPENWORK_HOST_TOKEN"] ?? "")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List pending approvals (approvals.list).",
            discussion: "--json: {\"ok\":true,\"items\":[{id, source, workspaceId, …}]}.")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @OptionGroup var server: ServerOptions
        @Option(help: "Only this workspace's requests (an id, a name or a path).") var workspace: String?

        func run() async throws {
            if let client = try ApprovalsCommand.direct(server, json: common.json) {
                try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
                    let result = try await client.list()
                    CommandOutput.success(result, json: common.json, human: ApprovalsCommand.table(result))
                }
                return
            }
            var params: JSONValue = [:]
            if let workspace {
                let reference = CallerPath.reference(workspace)
                params = ["workspace": reference["id"] ?? .null, "cwd": reference["cwd"] ?? .null]
            }
            try await DaemonCall.run(common, daemon: daemon, "approvals.list", params, human: ApprovalsCommand.table)
        }
    }

    struct Reply: AsyncParsableCommand {
        enum Answer: String, EnumerableFlag {
            case allow, deny, always

            static func help(for value: Answer) -> ArgumentHelp? {
                switch value {
                case .allow: "Allow this once (opencode `once`)."
                case .deny: "Reject (opencode `reject`)."
                case .always: "Allow now and from now on for the request's patterns (opencode only)."
                }
            }
        }

        static let configuration = CommandConfiguration(
            commandName: "reply",
            abstract: "Answer a pending approval (approvals.reply); the flag may come before or after the id.",
            // The parser lists the three flags of one choice side by side, as if each were required.
            usage: "openwork approvals reply <id> (--allow | --deny | --always) [--message <message>] [<options>]")
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @OptionGroup var server: ServerOptions
        @Argument(help: "The approval's id.") var id: String
        @Flag var answer: Answer
        @Option(help: "A message for opencode with the reply.") var message: String?

        var reply: String {
            switch answer {
            case .allow: "once"
            case .deny: "reject"
            case .always: "always"
            }
        }

        func run() async throws {
            if let client = try ApprovalsCommand.direct(server, json: common.json) {
                try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
                    guard answer != .always else {
                        throw OpenWorkError(
                            .invalidApprovalSettings, "the OpenWork server only accepts --allow or --deny")
                    }
                    let result = try await client.reply(id, allow: answer == .allow)
                    CommandOutput.success(result, json: common.json, human: ApprovalsCommand.replied(result))
                }
                return
            }
            var params: JSONValue = ["id": .string(id), "reply": .string(reply)]
            if let message { params["message"] = .string(message) }
            try await DaemonCall.run(
                common, daemon: daemon, "approvals.reply", params, human: ApprovalsCommand.replied)
        }
    }

    /// The OpenWork server client when one was named; a bad URL or a missing token is reported and exits 1.
    static func direct(_ server: ServerOptions, json: Bool) throws -> OpenWorkServerClient? {
        do {
            return try server.client()
        } catch {
            throw CommandOutput.failure(error, json: json)
        }
    }

    /// The approval settings of a serving command; an invalid environment value is a usage error (exit 64).
    static func settings(_ options: ApprovalOptions, _ environment: [String: String]) throws -> ApprovalSettings {
        do {
            return try options.settings(environment: environment)
        } catch {
            throw ValidationError("\(error.message) [\(error.code)]")
        }
    }

    static func replied(_ result: JSONValue) -> String {
        "\(result["id"]?.stringValue ?? "?"): \(result["reply"]?.stringValue ?? "?") (\(result["source"]?.stringValue ?? "?"))"
    }

    static func table(_ result: JSONValue) -> String {
        let items = result["items"]?.arrayValue ?? []
        guard !items.isEmpty else { return "no pending approvals" }
        let rows =
            [["ID", "SOURCE", "WORKSPACE", "WHAT", "DETAILS"]]
            + items.map { item in
                let what = item["permission"]?.stringValue ?? item["action"]?.stringValue ?? ""
                let details =
                    item["patterns"]?.arrayValue.map { $0.compactMap(\.stringValue).joined(separator: " ") }
                    ?? item["summary"]?.stringValue ?? ""
                return [
                    item["id"]?.stringValue ?? "", item["source"]?.stringValue ?? "",
                    item["workspaceId"]?.stringValue ?? "-", what, details,
                ]
            }
        return Describe.columns(rows)
    }
}
