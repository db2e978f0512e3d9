import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// Runs the contract checks of `Contract/check_contract.py` (jsonschema and the OpenRPC meta-schema: validators
/// we did not write) and the other Python tools `scripts/ensure-python-tools.sh` installs.
///
/// A test that needs them is `.enabled(if: ContractCheck.available)`, and under CI (`CI` set) a missing tool
/// fails instead of skipping.
enum ContractCheck {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let tools = root + "/.build/python-tools/bin/"
    static let script =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        + "/Contract/check_contract.py"

    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: tools + "python")
            || !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty
    }

    struct Run {
        var exit: TestProcess.Exit
        var output: String
        var passed: Bool { exit == .exited(0) }
    }

    /// `tool arguments…` from the tools' virtualenv (`python` by default), in the package's root.
    static func run(
        _ arguments: [String], tool: String = "python", environment: [String: String] = [:],
        within deadline: Duration = .seconds(120)
    ) async throws -> Run {
        let process = try TestProcess(
            tools + tool, arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, workingDirectory: root)
        let output = try await process.readRemainingOutput(within: deadline)
        let exit = try await process.waitForExit(within: deadline)
        return Run(exit: exit, output: output + process.errorOutput)
    }

    /// `check_contract.py document DOCUMENT`.
    static func document(_ document: JSONValue, in directory: TemporaryDirectory) async throws -> Run {
        let path = try write(document, to: "openrpc.json", in: directory)
        return try await run([script, "document", path])
    }

    /// `check_contract.py trace DOCUMENT TRACE…`.
    static func trace(_ document: JSONValue, _ traces: [String], in directory: TemporaryDirectory) async throws -> Run {
        let path = try write(document, to: "openrpc.json", in: directory)
        return try await run([script, "trace", path] + traces)
    }

    static func write(_ value: JSONValue, to name: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.appending(name)
        try Data(value.serializedBytes(.pretty)).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The `N passed, N failed` line's counts.
    static func counts(_ output: String) -> (passed: Int, failed: Int)? {
        guard let line = output.split(separator: "\n").last(where: { $0.hasSuffix(" failed") }) else { return nil }
        let numbers = line.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }
        return numbers.count == 2 ? (numbers[0], numbers[1]) : nil
    }
}
