public import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How the host-mode fakes end: at once with status 0 on SIGTERM or SIGINT (everything they hold is in memory),
/// or on purpose with status 1 when a crash knob says so.
public enum FakeLifetime {
    /// Installs the handlers; keep the returned sources alive for as long as the process runs.
    public static func exitOnSignals() -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            _ = signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { _exit(0) }
            source.resume()
            return source
        }
    }

    /// Exits with status 1 `delay` from now, saying why on stderr (`nil`: never).
    public static func crash(after delay: Duration?, saying reason: String) {
        guard let delay else { return }
        Task {
            try? await Task.sleep(for: delay)
            StandardStreams.error(reason)
            _exit(1)
        }
    }
}
