import Foundation
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// The command line and process lifecycle of `opencode serve`, as the contract states them.
@Suite("contract: command line and lifecycle")
struct CommandLineContractTests {
    static let warning = "Warning: OPENCODE_SERVER_PASSWORD is not set; server is unsecured."

    /// The one line `--version` prints, after checking it is the only output and the exit is 0.
    static func printedVersion(of subject: Subject, flag: String = "--version") async throws -> String {
        let process = try TestProcess(subject.executable, [flag], environment: Subject.environment())
        let output = try await process.readRemainingOutput(within: .seconds(10))
        let exit = try await process.waitForExit(within: .seconds(10))
        #expect(exit.code == 0)
        #expect(output.hasSuffix("\n") && output.filter { $0 == "\n" }.count == 1, "one line: \(output)")
        return output.trimmingCharacters(in: .newlines)
    }

    static func looksLikeVersion(_ text: String) -> Bool {
        if text == "local" || text.hasPrefix("0.0.0-") { return true }
        let core = text.split(separator: "-", maxSplits: 1)[0].split(separator: ".")
        return core.count == 3 && core.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    @Test(arguments: Subject.available)
    func versionFlagsPrintTheBareVersion(_ subject: Subject) async throws {
        let long = try await Self.printedVersion(of: subject, flag: "--version")
        let short = try await Self.printedVersion(of: subject, flag: "-v")
        #expect(Self.looksLikeVersion(long), "\(long)")
        #expect(long == short)
    }

    @Test(arguments: Subject.available)
    func unknownFlagPrintsHelpOnStderrAndExitsOne(_ subject: Subject) async throws {
        let process = try TestProcess(
            subject.executable,
            ["serve", "--definitely-not-an-option", "--port", "0"],
            environment: Subject.environment()
        )
        let output = try await process.readRemainingOutput(within: .seconds(10))
        let exit = try await process.waitForExit(within: .seconds(10))
        #expect(exit.code == 1)
        #expect(!output.contains("listening on"))
        #expect(process.errorOutput.contains("--port"), "help on stderr: \(process.errorOutput)")
    }

    @Test(arguments: Subject.available)
    func unsecuredServerPrintsTheWarningThenTheListeningLineAndNothingElse(_ subject: Subject) async throws {
        let directory = try TemporaryDirectory()
        let server = try await subject.start(workingDirectory: directory.path)
        #expect(server.process.startupLines.count == 2)
        #expect(server.process.startupLines.first == Self.warning)
        #expect(
            server.process.startupLines.last == "opencode server listening on http://127.0.0.1:\(server.process.port)")
        #expect(try await server.client.get("/global/health").status == 200)
        #expect(try await server.client.get("/path").status == 200)

        server.testProcess.signal(SIGTERM)
        let exit = try await server.testProcess.waitForExit(within: .seconds(30))
        #expect(exit.code == 0)
        #expect(try await server.testProcess.readRemainingOutput(within: .seconds(30)) == "")
        #expect(server.testProcess.errorOutput == "", "stderr stays empty without --print-logs")
    }

    @Test(arguments: Subject.available)
    func securedServerPrintsOnlyTheListeningLine(_ subject: Subject) async throws {
        let server = try await subject.start(environment: ["OPENCODE_SERVER_PASSWORD": "s3cret"])
        #expect(server.process.startupLines == ["opencode server listening on http://127.0.0.1:\(server.process.port)"])
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func emptyPasswordCountsAsUnset(_ subject: Subject) async throws {
        let server = try await subject.start(environment: ["OPENCODE_SERVER_PASSWORD": ""])
        #expect(server.process.startupLines.first == Self.warning)
        #expect(try await server.client.get("/global/health").status == 200)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func printLogsWritesToStderr(_ subject: Subject) async throws {
        let server = try await subject.start(extraArguments: ["--print-logs", "--log-level", "INFO"])
        #expect(try await server.client.get("/global/health").status == 200)
        try await poll("log lines on stderr") { !server.testProcess.errorOutput.isEmpty }
        #expect(server.process.startupLines.allSatisfy { !$0.hasPrefix("INFO") }, "logs never go to stdout")
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func portZeroBindsAFreePortForEachServer(_ subject: Subject) async throws {
        async let first = subject.start()
        async let second = subject.start()
        let servers = try await [first, second]
        #expect(servers[0].process.port != servers[1].process.port)
        for server in servers {
            #expect(try await server.client.get("/global/health").status == 200)
            await server.stop()
        }
    }

    @Test(arguments: Subject.available)
    func explicitlyGivenBusyPortFailsWithoutAListeningLine(_ subject: Subject) async throws {
        let holder = try await subject.start()
        let process = try TestProcess(
            subject.executable,
            ["serve", "--hostname", "127.0.0.1", "--port", String(holder.process.port)],
            environment: Subject.environment()
        )
        let output = try await process.readRemainingOutput(within: .seconds(10))
        let exit = try await process.waitForExit(within: .seconds(10))
        #expect(exit.code == 1)
        #expect(!output.contains("listening on"), "stdout: \(output)")
        #expect(!process.errorOutput.isEmpty)
        #expect(try await holder.client.get("/global/health").status == 200, "the holder is unaffected")
        await holder.stop()
    }

    @Test(arguments: Subject.available.flatMap { subject in [(subject, SIGTERM), (subject, SIGINT)] })
    func terminationSignalExitsZeroPromptlyEvenWithOpenEventStreams(_ subject: Subject, _ signal: Int32) async throws {
        let directory = try TemporaryDirectory()
        let server = try await subject.start()
        let events = try await server.client.events("/event?" + Shapes.directoryQuery(directory.path))
        let global = try await server.client.events("/global/event")
        _ = try await events.nextJSON()
        _ = try await global.nextJSON()

        server.testProcess.signal(signal)
        // A hang deadline: without the fix an open stream holds the server forever.
        let exit = try await server.testProcess.waitForExit(within: .seconds(30))
        #expect(exit.code == 0)
        _ = try await events.waitForEnd(within: .seconds(30))
        _ = try await global.waitForEnd(within: .seconds(30))
    }
}
