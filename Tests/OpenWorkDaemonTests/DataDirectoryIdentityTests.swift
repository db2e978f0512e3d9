import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One data directory has one daemon, whichever spelling of it (a symbolic link or its real path) is used; and
/// the daemon's token file is never read or written through a link.
@Suite("data directory identity", .timeLimit(.minutes(3)))
struct DataDirectoryIdentityTests {
    /// `openwork ARGS --data-dir DIR --json`, parsed (the fixture's own helper always passes its real path).
    static func json(_ fixture: DaemonFixture, _ arguments: [String], dataDirectory: String) async throws -> (
        exit: TestProcess.Exit, value: JSONValue
    ) {
        let process = try TestProcess(
            DaemonFixture.openwork, arguments + ["--data-dir", dataDirectory, "--json"],
            environment: fixture.environment)
        let output = try await process.readRemainingOutput(within: .seconds(30))
        let exit = try await process.waitForExit(within: .seconds(30))
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        return (exit, try JSONValue(parsing: line))
    }

    @Test(
        "a daemon started through one spelling of the data directory is the daemon of the other",
        arguments: [true, false])
    func symlinkedDataDirectory(startThroughLink: Bool) async throws {
        let fixture = try DaemonFixture("identity")
        try FileManager.default.createDirectory(atPath: fixture.dataDirectory, withIntermediateDirectories: true)
        let link = fixture.root.appending("link")
        #expect(symlink(fixture.dataDirectory, link) == 0)
        let (first, second) = startThroughLink ? (link, fixture.dataDirectory) : (fixture.dataDirectory, link)
        try await fixture.scoped {
            let started = try await Self.json(fixture, ["daemon", "start"], dataDirectory: first)
            #expect(started.exit.code == 0, "\(started.value)")
            let pid = try #require(started.value["pid"]?.int64Value)

            let status = try await Self.json(fixture, ["daemon", "status"], dataDirectory: second)
            #expect(status.exit.code == 0, "\(status.value)")
            #expect(status.value["running"] == true)
            #expect(status.value["pid"]?.int64Value == pid)

            let again = try await Self.json(fixture, ["daemon", "start"], dataDirectory: second)
            #expect(again.exit.code == 0, "\(again.value)")
            #expect(again.value["alreadyRunning"] == true)
            #expect(again.value["pid"]?.int64Value == pid)
            #expect(fixture.daemonProcesses.map(Int64.init) == [pid])
        }
    }

    @Test("a daemon-token link is refused when writing and reading; its target is neither read nor changed")
    func tokenLink() throws {
        let root = try TemporaryDirectory("token-link")
        let directory = DataDirectory(path: root.appending("data"))
        try directory.create()
        let target = root.appending("elsewhere")
        #expect(FileManager.default.createFile(atPath: target, contents: Data("planted\n".utf8)))
        let path = DaemonToken.path(inDataDirectory: directory.path)
        #expect(symlink(target, path) == 0)

        #expect {
            try DaemonToken.generate().write(to: path)
        } throws: { error in
            (error as? OpenWorkError)?.code == .dataDirUnsafe
                && (error as? OpenWorkError)?.details["path"] == .string(path)
        }
        #expect {
            _ = try DaemonToken.load(from: path)
        } throws: { error in
            (error as? OpenWorkError)?.code == .dataDirUnsafe
        }
        #expect(DaemonToken.read(from: path) == nil, "the planted value is never used as the token")
        #expect(FileManager.default.contents(atPath: target) == Data("planted\n".utf8))
    }
}
