public import Foundation

/// A running `opencode serve` (the real one or `fake-opencode`), started the way a supervisor starts it and
/// ready once its listening line has been read.
///
/// It does not speak HTTP: tests bring their own client and use ``baseURL``. The process is stopped (its
/// whole group) when ``stop(grace:)`` is called or, as a last resort, when this object is released.
public final class OpenCodeProcess: Sendable {
    /// Why the server did not become ready.
    public struct StartFailure: Error, CustomStringConvertible {
        public var description: String
    }

    public let process: TestProcess
    public let hostname: String
    public let port: Int
    /// Every stdout line up to and including the listening line.
    public let startupLines: [String]
    /// How long the listening line took to arrive after spawning.
    public let startupDuration: Duration

    public var baseURL: String { "http://\(hostname):\(port)" }

    /// The arguments a supervisor passes: loopback, port chosen by the server.
    public static let serveArguments = ["serve", "--hostname", "127.0.0.1", "--port", "0"]

    /// Spawns `executable` and waits for its listening line.
    ///
    /// - Parameter environment: the child's whole environment.
    /// - Throws: ``StartFailure`` (with stderr) when the process exits or stays silent past `readyWithin`.
    public static func start(
        executable: String,
        arguments: [String] = serveArguments,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String? = nil,
        readyWithin deadline: Duration = .seconds(60)
    ) async throws -> OpenCodeProcess {
        let started = ContinuousClock.now
        let process = try TestProcess(
            executable,
            arguments,
            environment: environment,
            workingDirectory: workingDirectory
        )
        var lines: [String] = []
        while true {
            let remaining = deadline - (ContinuousClock.now - started)
            let line: String?
            do {
                guard remaining > .zero else { throw TestProcess.Timeout(description: "no listening line") }
                line = try await process.readLine(within: remaining)
            } catch {
                _ = await process.stop(grace: .milliseconds(200))
                throw StartFailure(
                    description: "\(executable) printed no listening line within \(deadline); stdout: \(lines); "
                        + "stderr: \(process.errorOutput)"
                )
            }
            guard let line else {
                let exit = await process.stop(grace: .milliseconds(200))
                throw StartFailure(
                    description: "\(executable) ended (\(exit)) before listening; stdout: \(lines); "
                        + "stderr: \(process.errorOutput)"
                )
            }
            lines.append(line)
            if let address = parseListeningLine(line) {
                return OpenCodeProcess(
                    process: process,
                    hostname: address.hostname,
                    port: address.port,
                    startupLines: lines,
                    startupDuration: ContinuousClock.now - started
                )
            }
        }
    }

    private init(process: TestProcess, hostname: String, port: Int, startupLines: [String], startupDuration: Duration) {
        self.process = process
        self.hostname = hostname
        self.port = port
        self.startupLines = startupLines
        self.startupDuration = startupDuration
    }

    /// The host and port of `opencode server listening on http://<host>:<port>`, or `nil` for any other line.
    public static func parseListeningLine(_ line: String) -> (hostname: String, port: Int)? {
        let prefix = "opencode server listening on http://"
        guard line.hasPrefix(prefix) else { return nil }
        let address = line.dropFirst(prefix.count)
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            port > 0, port < 65_536
        else { return nil }
        return (String(address[..<colon]), port)
    }

    /// SIGTERM to the group, then SIGKILL after `grace`; returns how the server ended.
    @discardableResult
    public func stop(grace: Duration = .seconds(2)) async -> TestProcess.Exit {
        await process.stop(grace: grace)
    }
}
