import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `<binary> --version`, run once from a private temporary directory within a deadline: the one way openwork
/// asks a binary what it is (the sidecar resolver before it hands a binary out, the supervisor before it runs
/// opencode).
///
/// It does not judge the answer: what counts as a version, and which error a failure becomes, is the caller's.
public enum VersionProbe {
    /// What happened; every case is an expected outcome, not an error.
    public enum Outcome: Sendable {
        /// Exit 0; the first non-empty line of stdout, trimmed (empty when it printed nothing).
        case answered(String)
        /// Ended otherwise, with the last lines of stderr.
        case failed(ChildProcess.Exit, stderr: [String])
        /// Still running at the deadline (it was then stopped).
        case timedOut
        /// Could not be started at all.
        case cannotRun(ChildProcess.SpawnError)
    }

    public static func run(_ path: String, environment: [String: String], timeout: Duration) async -> Outcome {
        let scratch = NSTemporaryDirectory() + "openwork-version-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        mkdir(scratch, 0o700)
        defer { rmdir(scratch) }
        // A binary renamed into place a moment ago can still be open for writing in a child that another
        // thread forked before its descriptor was closed (ETXTBSY until that child execs): retry briefly.
        var attempt = 0
        let probe: ChildProcess
        while true {
            do {
                probe = try ChildProcess(
                    executable: path, arguments: ["--version"], environment: environment, workingDirectory: scratch)
                break
            } catch {
                attempt += 1
                guard error.errorNumber == ETXTBSY, attempt < 50 else { return .cannotRun(error) }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        guard let exit = await probe.waitForExit(timeout: timeout) else {
            await probe.stop(grace: .milliseconds(100))
            return .timedOut
        }
        await probe.waitForOutputEnd(timeout: .seconds(2))
        guard exit == .exited(0) else { return .failed(exit, stderr: Array(probe.recentErrors().suffix(20))) }
        return .answered(probe.recentOutput().first { !$0.trimmingWhitespace.isEmpty }?.trimmingWhitespace ?? "")
    }
}
