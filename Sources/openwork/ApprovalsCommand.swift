import ArgumentParser
import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem

/// `--approval manual|auto` and `--approval-timeout MS`: how the engine answers opencode's requests.
/// Part of the serve options of `openwork rpc` and `openwork daemon run` (and passed on by an auto-start).
struct ApprovalOptions: ParsableArguments {
    @Option(
        help: """
            manual (someone answers) or auto (permissions answered `once` at once; questions still wait for someone) \
            (default: $OPENWORK_APPROVAL_MODE, else manual).
            """)
    var approval: String?

    @Option(
        help: """
            Reject permission requests and questions nobody answered within this many ms \
            (default: $OPENWORK_APPROVAL_TIMEOUT_MS, else never).
            """)
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

/// `openwork approvals list|reply`: opencode's permission requests and questions through the daemon (started when
/// needed), or an OpenWork server's write approvals directly with `--openwork-url` (no daemon).
struct ApprovalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals",
        abstract:
            "List and answer pending approvals: opencode's requests (permissions, questions) or an OpenWork server's.",
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
        enum Choice: String, EnumerableFlag {
            case allow, deny, reject, always

            static func help(for value: Choice) -> ArgumentHelp? {
                switch value {
                case .allow: "Allow a permission this once (opencode `once`)."
                case .deny: "Reject a permission, or a question (opencode `reject`)."
                case .reject: "The same as --deny."
                case .always: "Allow a permission now and from now on for its patterns (opencode only)."
                }
            }

            /// The `reply` param of `approvals.reply`.
            var reply: String {
                switch self {
                case .allow: "once"
                case .deny, .reject: "reject"
                case .always: "always"
                }
            }
        }

        static let configuration = CommandConfiguration(
            commandName: "reply",
            abstract: "Answer a pending approval (approvals.reply); the flag may come before or after the id.",
            // The parser lists the flags of one choice side by side, as if each were required.
            usage: """
                openwork approvals reply <id> (--allow | --deny | --reject | --always | --answer <text>) \
                [--message <message>] [<options>]
                """,
            discussion: """
                A permission takes --allow, --deny (or --reject) or --always. A question (source \
                opencode-question) takes --answer TEXT, which answers every question of the request with TEXT \
                (one of its options' labels, or free text), or --reject. --json: {"ok":true,"id",…}.
                """)
        @OptionGroup var common: DataDirOptions
        @OptionGroup var daemon: AutoStartOptions
        @OptionGroup var server: ServerOptions
        @Argument(help: "The approval's id.") var id: String
        @Flag var choice: Choice?
        @Option(help: "Answer a question with this label or free text (every question of the request).")
        var answer: String?
        @Option(help: "A message for opencode with a permission reply.") var message: String?

        func validate() throws {
            switch (choice, answer) {
            case (nil, nil):
                throw ValidationError("give --allow, --deny (or --reject), --always, or --answer <text>")
            case (.some(let choice), .some):
                throw ValidationError("--answer goes alone, not with --\(choice.rawValue)")
            case (nil, .some) where message != nil:
                throw ValidationError("--message goes with a permission reply; a question's answer carries none")
            default:
                break
            }
        }

        func run() async throws {
            if let client = try ApprovalsCommand.direct(server, json: common.json) {
                try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
                    guard let choice, choice != .always else {
                        throw OpenWorkError(
                            .invalidApprovalSettings, "the OpenWork server only accepts --allow or --deny")
                    }
                    let result = try await client.reply(id, allow: choice == .allow)
                    CommandOutput.success(result, json: common.json, human: ApprovalsCommand.replied(result))
                }
                return
            }
            var params: JSONValue = ["id": .string(id)]
            if let choice { params["reply"] = .string(choice.reply) }
            if let answer { params["answer"] = .string(answer) }
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
        let what =
            result["answers"]?.arrayValue.map { answers in
                "answered "
                    + answers.map { ($0.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ") }
                    .joined(separator: " | ")
            } ?? result["reply"]?.stringValue ?? "?"
        return "\(result["id"]?.stringValue ?? "?"): \(what) (\(result["source"]?.stringValue ?? "?"))"
    }

    static func table(_ result: JSONValue) -> String {
        let items = result["items"]?.arrayValue ?? []
        guard !items.isEmpty else { return "no pending approvals" }
        let rows =
            [["ID", "SOURCE", "WORKSPACE", "WHAT", "DETAILS"]]
            + items.map { item in
                let what =
                    item["permission"]?.stringValue ?? item["action"]?.stringValue
                    ?? (item["questions"] != nil ? "question" : "")
                let patterns = item["patterns"]?.arrayValue.map { $0.compactMap(\.stringValue).joined(separator: " ") }
                let question = item["question"]?.stringValue.map { text in
                    let labels = (item["options"]?.arrayValue ?? []).compactMap(\.stringValue)
                    return labels.isEmpty ? text : "\(text) [\(labels.joined(separator: " / "))]"
                }
                return [
                    item["id"]?.stringValue ?? "", item["source"]?.stringValue ?? "",
                    item["workspaceId"]?.stringValue ?? "-", what,
                    patterns ?? question ?? item["summary"]?.stringValue ?? "",
                ]
            }
        return Describe.columns(rows)
    }
}
