import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// The Python tools `scripts/ensure-python-tools.sh` installs in `.build/python-tools` (validators we did not
/// write), and a way to run them.
///
/// A test that needs them uses `.enabled(if: PythonTools.shouldRun, PythonTools.missingReason)` and starts with
/// `guard PythonTools.require() else { return }`: without the tools it is reported as skipped, except under CI
/// (`CI` set), where it fails with the same reason.
enum PythonTools {
    /// The package's root, found from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let python = packageRoot + "/.build/python-tools/bin/python"

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: python) }

    static var isCI: Bool { !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty }

    static var shouldRun: Bool { isInstalled || isCI }

    static let missingReason: Comment = "run bash scripts/ensure-python-tools.sh"

    /// Whether the tools are installed; records the missing tools as a failure when they are not.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if isInstalled { return true }
        Issue.record(missingReason, sourceLocation: sourceLocation)
        return false
    }

    /// How a run ended, and everything it printed (stdout, then stderr).
    struct Run: Sendable {
        var exit: TestProcess.Exit
        var output: String

        var succeeded: Bool { exit == .exited(0) }
    }

    /// Runs the tools' python with `arguments` in the package's root. A run takes about a second; `deadline`
    /// only stops a hang.
    static func run(_ arguments: [String], within deadline: Duration = .seconds(120)) async throws -> Run {
        let process = try TestProcess(python, arguments, workingDirectory: packageRoot)
        let output = try await process.readRemainingOutput(within: deadline)
        let exit = try await process.waitForExit(within: deadline)
        return Run(exit: exit, output: output + process.errorOutput)
    }

    /// Writes `value` as JSON to `name` in `directory`; returns the file's path.
    static func write(_ value: JSONValue, to name: String, in directory: TemporaryDirectory) throws -> String {
        try write(value.serializedBytes(.pretty), to: name, in: directory)
    }

    /// Writes `bytes` to `name` in `directory`; returns the file's path.
    static func write(_ bytes: [UInt8], to name: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.appending(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
