/// opencode supervision settings from the environment, so tests and the harness can shorten timeouts without flags:
/// `OPENWORK_OPENCODE_START_TIMEOUT_MS`, `…_PROBE_INTERVAL_MS`, `…_PROBE_TIMEOUT_MS`, `…_PROBE_MISSES`,
/// `…_STOP_GRACE_MS`, `…_BACKOFF_FLOOR_MS`, `…_BACKOFF_CAP_MS`, `…_MAX_START_FAILURES`.
public enum EngineTuning {
    public static func fromEnvironment(_ environment: [String: String])
        -> @Sendable (inout OpenCodeService.Configuration) -> Void
    {
        func milliseconds(_ name: String) -> Duration? {
            environment["OPENWORK_OPENCODE_" + name].flatMap(Int.init).map { .milliseconds($0) }
        }
        let start = milliseconds("START_TIMEOUT_MS")
        let interval = milliseconds("PROBE_INTERVAL_MS")
        let timeout = milliseconds("PROBE_TIMEOUT_MS")
        let grace = milliseconds("STOP_GRACE_MS")
        let floor = milliseconds("BACKOFF_FLOOR_MS")
        let cap = milliseconds("BACKOFF_CAP_MS")
        let misses = environment["OPENWORK_OPENCODE_PROBE_MISSES"].flatMap(Int.init)
        let failures = environment["OPENWORK_OPENCODE_MAX_START_FAILURES"].flatMap(Int.init)
        return { configuration in
            if let start { configuration.startTimeout = start }
            if let interval { configuration.health.interval = interval }
            if let timeout { configuration.health.timeout = timeout }
            if let grace { configuration.stop.grace = grace }
            if let floor { configuration.policy.floor = floor }
            if let cap { configuration.policy.cap = cap }
            if let misses { configuration.health.misses = misses }
            if let failures { configuration.policy.maximumStartFailures = failures }
        }
    }
}
