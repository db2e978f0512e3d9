import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

/// Sends one RPC call to the daemon of the data directory and prints the outcome.
enum DaemonCall {
    /// How a command that may start the daemon starts one.
    typealias Start = () async throws(OpenWorkError) -> DaemonLauncher.Started

    /// - Parameter daemon: when given (a command that may start the daemon), a daemon is started with these
    ///   options if none runs, unless `--no-auto-start`; settings given that the running daemon does not have are
    ///   reported as warnings. Otherwise a missing daemon is the error `daemon_not_running`.
    static func run(
        _ common: DataDirOptions, daemon: AutoStartOptions?, _ method: String, _ params: JSONValue? = nil,
        human: @escaping (JSONValue) -> String
    ) async throws {
        let environment = ProcessInfo.processInfo.environment
        let directory = common.dataDirectory
        var start: Start?
        if try daemon?.enabled(environment) == true, let serve = daemon?.serve {
            start = { () throws(OpenWorkError) in try await DaemonCommand.Start.start(serve, in: directory) }
        }
        let given = daemon?.serve.given(environment)
        try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
            let result = try await call(directory, method, params, given: given, start: start)
            CommandOutput.success(result, json: common.json, human: human(result))
        }
    }

    /// The call itself: straight to the recorded daemon when its process lives, else to the one that serves,
    /// else (with `start`) to one started here; `daemon_not_running` otherwise. With `given`, settings the
    /// running daemon does not have are added to the result as `warnings` (not when it was started here).
    ///
    /// - Parameter timeout: a hang deadline for the answer.
    static func call(
        _ directory: DataDirectory, _ method: String, _ params: JSONValue?, given: DaemonSettings?, start: Start?,
        timeout: Duration = .seconds(120)
    ) async throws(OpenWorkError) -> JSONValue {
        let client = DaemonClient(dataDirectory: directory)
        var startedHere = false
        func finish(_ result: JSONValue, _ record: DaemonRecord) -> JSONValue {
            guard let given, !startedHere else { return result }
            return SettingsWarnings.report(SettingsWarnings.messages(given: given, record: record), in: result)
        }
        // The fast path: a live daemon process holds its recorded port, so the call goes straight there
        // (one request, no health probe first). Only when that fails does the slow path decide.
        if let record = DaemonRecord.read(in: directory), record.isAlive {
            do throws(OpenWorkError) {
                return finish(try await client.call(method, params, record: record, timeout: timeout), record)
            } catch {
                // Not listening yet, or gone (the call never left): the slow path below finds out which.
                let neverSent = error.code == .daemonNotRunning || error.details["sent"] == false
                guard neverSent else { throw error }
            }
        }
        let record: DaemonRecord
        if let running = await client.running() {
            record = running.record
        } else if let start {
            let started = try await start()
            record = started.record
            startedHere = !started.alreadyRunning
            if startedHere {
                FileHandle.standardError.write(
                    Data("openwork: started daemon pid \(record.pid) at \(record.baseURL)\n".utf8))
            }
        } else {
            record = try await client.requireRunning().record
        }
        return finish(try await client.call(method, params, record: record, timeout: timeout), record)
    }
}
