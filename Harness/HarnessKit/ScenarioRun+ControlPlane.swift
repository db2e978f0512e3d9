import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

/// The steps that drive the daemon the way users and integrators do: `cli` (the built `openwork`), `http`
/// (the control plane, with or without the token, with a foreign `Host` or `Origin`), `kill daemon`, and the
/// checks on what they leave (`expect status`, `expect each`, `expect argv-clean`).
extension ScenarioRun {
    var dataDirectory: DataDirectory { DataDirectory(path: variables["DATA"]?.stringValue ?? "") }

    func daemonRecord() -> DaemonRecord? { DaemonRecord.read(in: dataDirectory) }

    /// The environment of a `cli` step: the scenario's, with `$DATA` and the opencode under test as defaults.
    var cliEnvironment: [String: String] {
        var environment = self.environment
        if environment["OPENWORK_DATA_DIR"] == nil { environment["OPENWORK_DATA_DIR"] = dataDirectory.path }
        if environment["OPENWORK_OPENCODE_BIN"] == nil {
            environment["OPENWORK_OPENCODE_BIN"] = configuration.opencodeExecutable
        }
        return environment
    }

    func cli(_ arguments: [String], copies: Int, within deadline: Duration) async throws {
        let executable = configuration.openworkExecutable
        let environment = cliEnvironment
        let workingDirectory = variables["WORK"]?.stringValue
        notes.append("$ openwork \(arguments.joined(separator: " "))" + (copies > 1 ? "   (×\(copies) at once)" : ""))
        let runs = try await withThrowingTaskGroup(of: (Int, TestProcess.Exit, String, String).self) { group in
            for index in 0..<copies {
                group.addTask {
                    let process = try TestProcess(
                        executable, arguments, environment: environment, workingDirectory: workingDirectory)
                    let output: String
                    let exit: TestProcess.Exit
                    do {
                        output = try await process.readRemainingOutput(within: deadline)
                        exit = try await process.waitForExit(within: deadline)
                    } catch {
                        _ = await process.stop(grace: .milliseconds(500))
                        throw StepFailure("openwork \(arguments.joined(separator: " ")) did not end within \(deadline)")
                    }
                    return (index, exit, output, process.errorOutput)
                }
            }
            var runs: [(Int, TestProcess.Exit, String, String)] = []
            for try await run in group { runs.append(run) }
            return runs.sorted { $0.0 < $1.0 }
        }
        trackDaemon()
        let answers = runs.map { Self.answer(fromOutput: $0.2) }
        for run in runs {
            notes.append("  \(run.1): " + run.2.split(separator: "\n").suffix(3).joined(separator: " | "))
            if !run.3.isEmpty {
                notes.append("  stderr: " + run.3.split(separator: "\n").suffix(3).joined(separator: " | "))
            }
        }
        lastAnswer = copies == 1 ? answers[0] : .array(answers)
        lastStatus = runs.map { Int($0.1.code ?? 128 + ($0.1.signal ?? 0)) }.first { $0 != 0 } ?? 0
    }

    /// The last line of stdout as JSON when it is JSON (the `--json` object), else the whole output as a string.
    static func answer(fromOutput output: String) -> JSONValue {
        let lastLine = output.split(separator: "\n").last.map(String.init) ?? ""
        if let value = try? JSONValue(parsing: lastLine) { return value }
        return .string(output)
    }

    func http(
        _ method: String, _ target: String, _ body: JSONValue?, _ options: HTTPStepOptions, _ deadline: Duration
    ) async throws {
        guard let record = daemonRecord() else { throw StepFailure("no daemon recorded in \(dataDirectory.path)") }
        var headers: [(String, String)] = []
        switch options.token {
        case .daemon:
            guard let token = DaemonToken.read(from: DaemonToken.path(inDataDirectory: dataDirectory.path)) else {
                throw StepFailure("no daemon token in \(dataDirectory.path)")
            }
            headers.append(("Authorization", "Bearer \(token.value)"))
        case .none:
            break
        case .literal(let token):
            headers.append(("Authorization", "Bearer \(text(token))"))
        }
        if let host = options.host { headers.append(("Host", text(host))) }
        if let origin = options.origin { headers.append(("Origin", text(origin))) }
        var bytes: [UInt8] = []
        if let body {
            headers.append(("Content-Type", "application/json"))
            bytes = try body.serializedBytes(.compact)
        }
        notes.append("> \(method) \(target)" + (body.map { " " + ((try? $0.serialized(.compact)) ?? "") } ?? ""))
        let response: LoopbackHTTP.Response
        do {
            response = try await LoopbackHTTP.exchange(
                record.baseURL, method: method, target: target, headers: headers, body: bytes, timeout: deadline)
        } catch {
            throw StepFailure("\(method) \(target) failed: \(error)")
        }
        lastStatus = response.status
        lastAnswer =
            response.body.isEmpty
            ? .null
            : (try? JSONValue(parsing: response.body)) ?? .string(String(decoding: response.body, as: UTF8.self))
        notes.append("< \(response.status) " + String(decoding: response.body.prefix(300), as: UTF8.self))
        trackDaemon()
    }

    func expectEach(_ expected: JSONValue, _ mode: MatchMode) throws {
        guard let items = lastAnswer?.arrayValue, !items.isEmpty else {
            throw StepFailure("the last answer is not a non-empty array", actual: pretty(lastAnswer))
        }
        for (index, item) in items.enumerated() {
            if let mismatch = JSONMatcher.match(expected, item, mode: mode, variables: variables) {
                throw StepFailure(
                    "element \(index) does not match \(mismatch)", expected: pretty(expected), actual: pretty(item))
            }
        }
    }

    /// The secrets of this scenario: the daemon token and the password of every opencode we can see.
    func secrets() -> [String: String] {
        var secrets: [String: String] = [:]
        if let token = DaemonToken.read(from: DaemonToken.path(inDataDirectory: dataDirectory.path)) {
            secrets["the daemon token"] = token.value
        }
        let state =
            (try? Data(contentsOf: URL(fileURLWithPath: dataDirectory.path + "/openwork-orchestrator-state.json")))
            .flatMap { try? JSONValue(parsing: Array($0)) }
        var opencodePIDs = tracked.map(\.pid)
        if let pid = state?["opencode"]?["pid"]?.int64Value.flatMap({ Int32(exactly: $0) }) { opencodePIDs.append(pid) }
        for pid in opencodePIDs {
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            for entry in String(decoding: environ, as: UTF8.self).split(separator: "\0")
            where entry.hasPrefix("OPENCODE_SERVER_PASSWORD=") {
                let value = String(entry.dropFirst("OPENCODE_SERVER_PASSWORD=".count))
                if !value.isEmpty { secrets["the opencode password of pid \(pid)"] = value }
            }
        }
        return secrets
    }

    /// Scans every process's command line (what `ps` shows) for the secrets.
    func expectArgvClean() throws {
        let secrets = secrets()
        guard !secrets.isEmpty else {
            throw StepFailure("nothing to look for: no daemon token and no opencode password found")
        }
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        for pid in pids {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
                continue
            }
            let commandLine = String(decoding: data, as: UTF8.self)
            for (name, secret) in secrets where commandLine.contains(secret) {
                throw StepFailure("\(name) is on the command line of pid \(pid): \(ProcessTable.commandLine(pid))")
            }
        }
        notes.append(
            "# argv-clean: \(pids.count) command lines checked for \(secrets.keys.sorted().joined(separator: ", "))")
    }

    /// Remembers the recorded daemon and everything under it, so teardown can prove they are gone.
    func trackDaemon() {
        guard let record = daemonRecord(), let identity = ProcessTable.identity(record.pid) else { return }
        tracked.insert(identity)
        trackDescendants(of: record.pid)
    }

    /// Teardown: a daemon still recorded as running is stopped the way a user would (`openwork daemon stop`);
    /// whatever survives that is then killed and reported by the caller.
    func stopDaemon() async {
        guard let record = daemonRecord(), record.isAlive else { return }
        trackDaemon()
        notes.append("# teardown: openwork daemon stop (pid \(record.pid))")
        guard
            let process = try? TestProcess(
                configuration.openworkExecutable, ["daemon", "stop", "--json"], environment: cliEnvironment,
                workingDirectory: variables["WORK"]?.stringValue)
        else { return }
        if (try? await process.waitForExit(within: scaled(.seconds(20)))) == nil {
            _ = await process.stop(grace: .milliseconds(500))
        }
    }
}
