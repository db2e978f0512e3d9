import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

/// Sends one RPC call to the daemon of the data directory and prints the outcome.
enum DaemonCall {
    /// - Parameter daemon: when given (a command that may start the daemon), a daemon is started with these
    ///   options if none runs, unless `--no-auto-start`; settings given that the running daemon does not have are
    ///   reported as warnings. Otherwise a missing daemon is the error `daemon_not_running`.
    static func run(
        _ common: DataDirOptions, daemon: AutoStartOptions?, _ method: String, _ params: JSONValue? = nil,
        human: @escaping (JSONValue) -> String
    ) async throws {
        let environment = ProcessInfo.processInfo.environment
        let autoStart = try daemon?.enabled(environment) == true ? daemon?.serve : nil
        try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
            let directory = common.dataDirectory
            let client = DaemonClient(dataDirectory: directory)
            var startedHere = false
            func finish(_ result: JSONValue, _ record: DaemonRecord) {
                var result = result
                if let daemon, !startedHere {
                    result = SettingsWarnings.report(
                        SettingsWarnings.messages(given: daemon.serve.given(environment), record: record), in: result)
                }
                CommandOutput.success(result, json: common.json, human: human(result))
            }
            // The fast path: a live daemon process holds its recorded port, so the call goes straight there
            // (one request, no health probe first). Only when that fails does the slow path decide.
            if let record = DaemonRecord.read(in: directory), record.isAlive {
                do throws(OpenWorkError) {
                    finish(try await client.call(method, params, record: record), record)
                    return
                } catch {
                    // Not listening yet, or gone (the call never left): the slow path below finds out which.
                    let neverSent = error.code == .daemonNotRunning || error.details["sent"] == false
                    guard neverSent else { throw error }
                }
            }
            let record: DaemonRecord
            if let running = await client.running() {
                record = running.record
            } else if let autoStart {
                let started = try await DaemonCommand.Start.start(autoStart, in: directory)
                record = started.record
                startedHere = !started.alreadyRunning
                if startedHere {
                    FileHandle.standardError.write(
                        Data("openwork: started daemon pid \(record.pid) at \(record.baseURL)\n".utf8))
                }
            } else {
                record = try await client.requireRunning().record
            }
            finish(try await client.call(method, params, record: record), record)
        }
    }
}
