import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

/// What a scenario leaves for a CI system to upload (`--artifacts DIR`): one folder per scenario run, written
/// after teardown (so the logs are complete) and before the scenario's directories are removed.
///
/// The folder holds `outcome.json` (the report's object for this run, with every step), `transcript.txt`
/// (every JSON-RPC line of every `openwork rpc`, then what `cli` and `http` steps did), `events.jsonl` (every
/// event notification seen), `openwork-rpc-N.stderr` (each `openwork rpc`'s stderr), `opencode.log` (the lines
/// openwork forwarded from opencode's stdout and stderr, from those and from the daemon's log),
/// `spawn-NAME.stderr` (servers started by `spawn`), `cli-N.stderr` (each `openwork` a `cli` step ran),
/// `logs/` (the data directory's logs, among them the daemon's `daemon.log`) and `state.json` (the state
/// file). It does not copy the token or the credentials files.
extension ScenarioRun {
    /// Writes the artifacts of this run into a new folder of `directory` named after `outcome` (made unique with
    /// a suffix when taken); returns its path, or why it could not be written.
    func writeArtifacts(of outcome: ScenarioOutcome, into directory: String) -> Result<String, ArtifactError> {
        let folder: String
        do {
            folder = try Self.makeFolder(named: outcome.artifactName, in: directory)
        } catch {
            return .failure(ArtifactError(message: "cannot create a folder in \(directory): \(error)"))
        }
        var files: [(String, String)] = []
        let children = finishedChildren + (child.map { [$0] } ?? [])
        var transcript: [String] = []
        var events: [String] = []
        var opencodeLines: [String] = []
        for (index, child) in children.enumerated() {
            transcript.append("# openwork rpc \(index + 1) (pid \(child.process.pid))")
            transcript.append(contentsOf: child.transcript)
            events.append(contentsOf: child.transcript.compactMap(Self.event(inTranscriptLine:)))
            let errors = child.process.errorOutput
            files.append(("openwork-rpc-\(index + 1).stderr", errors))
            opencodeLines.append(contentsOf: Self.opencodeLines(in: errors))
        }
        transcript.append("# cli and http steps, teardown")
        transcript.append(contentsOf: notes)
        files.append(("transcript.txt", Self.lines(transcript)))
        files.append(("events.jsonl", Self.lines(events)))
        for (index, errors) in cliErrorOutputs.enumerated() { files.append(("cli-\(index + 1).stderr", errors)) }
        for (name, server) in spawned.sorted(by: { $0.key < $1.key }) {
            files.append(("spawn-\(name).stderr", server.process.errorOutput))
        }
        let logs = dataDirectory.path + "/logs"
        if FileManager.default.fileExists(atPath: logs) {
            try? FileManager.default.copyItem(atPath: logs, toPath: folder + "/logs")
            let daemonLog = (try? String(contentsOfFile: logs + "/daemon.log", encoding: .utf8)) ?? ""
            opencodeLines.append(contentsOf: Self.opencodeLines(in: daemonLog))
        }
        files.append(("opencode.log", Self.lines(opencodeLines)))
        if FileManager.default.fileExists(atPath: dataDirectory.statePath) {
            try? FileManager.default.copyItem(atPath: dataDirectory.statePath, toPath: folder + "/state.json")
        }
        files.append(("outcome.json", ((try? outcome.json.serialized(.pretty)) ?? "{}") + "\n"))
        for (name, text) in files {
            do {
                try text.write(toFile: folder + "/" + name, atomically: false, encoding: .utf8)
            } catch {
                return .failure(ArtifactError(message: "cannot write \(folder)/\(name): \(error)"))
            }
        }
        return .success(folder)
    }

    /// `directory/name`, or `name-2`, `name-3`… when taken (two files with one name in different directories).
    static func makeFolder(named name: String, in directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var candidate = directory + "/" + name
        var suffix = 2
        while FileManager.default.fileExists(atPath: candidate) {
            candidate = directory + "/" + name + "-\(suffix)"
            suffix += 1
        }
        try FileManager.default.createDirectory(atPath: candidate, withIntermediateDirectories: false)
        return candidate
    }

    /// The event notification of a received transcript line (`<- {…"method":"event"…}`), compact.
    static func event(inTranscriptLine line: String) -> String? {
        guard line.hasPrefix("<- "), let message = try? JSONValue(parsing: String(line.dropFirst(3))),
            message["method"] == "event"
        else { return nil }
        return try? message.serialized(.compact)
    }

    /// The records openwork forwarded from opencode (component `opencode`) in a log, pretty or JSON.
    static func opencodeLines(in log: String) -> [String] {
        log.split(separator: "\n").filter {
            $0.contains(" opencode | ") || $0.contains(#""service.component":"opencode""#)
        }.map(String.init)
    }

    private static func lines(_ lines: [String]) -> String { lines.map { $0 + "\n" }.joined() }
}

/// Artifacts that could not be written: reported with the scenario, never failing it.
struct ArtifactError: Error {
    var message: String
}
