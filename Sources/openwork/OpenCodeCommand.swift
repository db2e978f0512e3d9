import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

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
