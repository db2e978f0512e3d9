import Foundation
import OpenWorkSystem
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Child process: stdin, whole output, stop", .timeLimit(.minutes(1)))
struct ChildProcessTests {
    /// Collects what an `onOutput` sink receives.
    final class Collected: Sendable {
        private let events = Mutex<[(ChildProcess.StandardStream, LineReader.Event)]>([])
        var sink: ChildProcess.OutputSink { { stream, event in self.events.withLock { $0.append((stream, event)) } } }

        func lines(of stream: ChildProcess.StandardStream) -> [LineReader.Line] {
            events.withLock { events in
                events.compactMap { entry in
                    guard entry.0 == stream, case .line(let line) = entry.1 else { return nil }
                    return line
                }
            }
        }

        func ended(_ stream: ChildProcess.StandardStream) -> Bool {
            events.withLock { $0.contains { $0.0 == stream && $0.1 == .end } }
        }
    }

    static let environment = ["PATH": "/usr/bin:/bin"]

    @Test("stdin written through the pipe comes back; closing it ends the child")
    func pipedInput() async throws {
        let child = try ChildProcess(executable: "/bin/cat", arguments: [], environment: Self.environment, input: .pipe)
        try await child.write(Array("one\ntwo\n".utf8))
        child.closeInput()
        #expect(await child.waitForExit() == .exited(0))
        await child.waitForOutputEnd(timeout: .seconds(10))
        #expect(child.recentOutput() == ["one", "two"])
        await #expect(throws: POSIXError.self) { try await child.write([1]) }
    }

    @Test("the sink sees a megabyte line whole, a CR kept, and an unterminated last line; the buffers cut at 4 KiB")
    func wholeLines() async throws {
        let collected = Collected()
        let script = "head -c 1048576 /dev/zero | tr '\\0' x; printf '\\nwith cr\\r\\nlast'; echo oops >&2"
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", script], environment: Self.environment, onOutput: collected.sink)
        #expect(await child.waitForExit() == .exited(0))
        await child.waitForOutputEnd(timeout: .seconds(10))
        let lines = collected.lines(of: .standardOutput)
        #expect(lines.map(\.bytes.count) == [1 << 20, 8, 4])
        #expect(lines.map(\.isTerminated) == [true, true, false])
        #expect(lines.last?.original == Array("last".utf8))
        #expect(lines.dropFirst().first?.original == Array("with cr\r\n".utf8))
        #expect(collected.lines(of: .standardError).map { $0.text() } == ["oops"])
        #expect(collected.ended(.standardOutput) && collected.ended(.standardError))
        #expect(child.recentOutput().map(\.utf8.count) == [4_096, 7, 4], "the CR of a CRLF is dropped from text")
    }

    @Test("stop: SIGTERM first, then SIGKILL once the grace is over")
    func stopSequence() async throws {
        let polite = try ChildProcess(executable: "/bin/sleep", arguments: ["60"], environment: Self.environment)
        #expect(await polite.stop(grace: .seconds(30)) == .signaled(SIGTERM))
        let stubborn = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "trap '' TERM; echo ready; while :; do sleep 1; done"],
            environment: Self.environment)
        for await _ in stubborn.outputLines { break }
        #expect(await stubborn.stop(grace: .milliseconds(200)) == .signaled(SIGKILL))
        #expect(stubborn.stopBlocking(grace: .seconds(1)) == .signaled(SIGKILL), "a second stop reports the exit")
    }
}
