import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Stream the daemon's events as JSON lines until it stops (events.subscribe over GET /events).",
        discussion:
            "One event object per line on stdout, flushed at once; `--types opencode.*,workspace.added` filters."
    )
    @OptionGroup var common: DataDirOptions
    @Option(help: "Comma-separated event types; a trailing `.*` matches a prefix.") var types: String?

    func run() async throws {
        try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
            let client = DaemonClient(dataDirectory: common.dataDirectory)
            let record = try await client.requireRunning().record
            try await client.followEvents(
                types: types.map { $0.split(separator: ",").map(String.init) }, record: record,
                onSubscribed: {
                    FileHandle.standardError.write(Data("openwork: following events of \(record.baseURL)\n".utf8))
                },
                onEvent: { event in
                    guard let line = try? event.serialized(.compact) else { return }
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))
                })
        }
    }
}
