import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

/// The daemon of the scenario's `$DATA`, which `cli` and `http` steps start and talk to: where its record is,
/// the environment `cli` steps run with, tracking it so teardown can prove it gone, and stopping it at teardown.
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

    /// Remembers the recorded daemon and everything under it, so teardown can prove they are gone.
    func trackDaemon() {
        guard let record = daemonRecord(), let instance = ProcessTable.instance(record.pid) else { return }
        tracked.insert(instance)
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
