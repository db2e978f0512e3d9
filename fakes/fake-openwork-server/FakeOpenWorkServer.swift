import Foundation
import Hummingbird

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `fake-openwork-server`: the approvals and health part of the OpenWork server (host mode), for tests.
/// Prints `openwork server listening on http://<host>:<port>` once bound. See `fakes/README.md`.
@main
enum FakeOpenWorkServer {
    static func main() async {
        _ = signal(SIGPIPE, SIG_IGN)
        let options: ServerOptions
        do {
            options = try ServerOptions.parse(
                Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("fake-openwork-server: \(error)\n".utf8))
            exit(2)
        }
        let book = ApprovalBook(mode: options.mode, timeout: .milliseconds(options.approvalTimeoutMs)) {
            Int64(Date().timeIntervalSince1970 * 1_000)
        }
        let responder = FakeOpenWorkResponder(
            options: options, book: book, token: HostTokenCheck(options.hostToken), started: .now)
        setenv("LOG_LEVEL", "critical", 1)
        let hostname = options.hostname
        let application = Application(
            responder: responder, configuration: .init(address: .hostname(hostname, port: options.port)),
            onServerRunning: { channel in
                let line = "openwork server listening on http://\(hostname):\(channel.localAddress?.port ?? 0)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            })
        do {
            try await application.run()
        } catch {
            FileHandle.standardError.write(Data("fake-openwork-server: \(error)\n".utf8))
            exit(1)
        }
    }
}
