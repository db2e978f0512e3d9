import Hummingbird
import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// `openwork-bench-hello`: the framework's ceiling for the benchmark, a bare Hummingbird server answering
/// `GET /hello` with `hello\n`, set up like the control plane (loopback, port 0, the default event loop group,
/// quiet logger). Its own tiny executable, so its resident memory is Hummingbird's and not the benchmark's.
///
/// Prints `listening PORT` once it accepts connections; serves until it is signalled.
@main
enum HelloServer {
    static func main() async throws {
        let router = Router()
        router.get("/hello") { _, _ in "hello\n" }
        var logger = Logger(label: "openwork-bench.hello")
        logger.logLevel = .critical
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                // Unbuffered: the parent waits for this line.
                let line = Array("listening \(channel.localAddress?.port ?? 0)\n".utf8)
                line.withUnsafeBytes { buffer in _ = write(1, buffer.baseAddress, buffer.count) }
            },
            logger: logger
        )
        try await application.run()
    }
}
