import ArgumentParser
import Foundation
import OpenWorkCore
import OpenWorkSystem

/// Instance lifecycle flags of the serving commands (`daemon run|start|restart`, `rpc`; not of every command that may
/// auto-start a daemon, whose parsing each nested option slows): idle eviction, the warm cap, hot
/// reload. Each falls back to its `OPENWORK_*` variable, then to its default (``LifecycleSettings``).
struct LifecycleOptions: ParsableArguments {
    @Option(
        help: """
            Dispose an instance unused this long: 300s, 15m, 1h, 1500ms; 0 = never (default: \
            $OPENWORK_INSTANCE_IDLE_TTL, else 15m).
            """)
    var instanceIdleTtl: String?

    @Option(
        help: """
            Keep at most N instances warm, evicting the least recently used idle one; 0 = no cap (default: \
            $OPENWORK_MAX_WARM_INSTANCES, else no cap).
            """)
    var maxWarmInstances: Int?

    @OptionGroup var hotReload: HotReloadOptions

    @Option(
        help: """
            How long a reload waits for a busy instance before it is done anyway (default: \
            $OPENWORK_RELOAD_DEFER_MAX, else 10m).
            """)
    var reloadDeferMax: String?

    var flags: LifecycleSettings.Flags {
        var flags = LifecycleSettings.Flags()
        flags.idleTTL = instanceIdleTtl
        flags.maxWarm = maxWarmInstances
        flags.hotReload = hotReload.opencodeHotReload
        flags.debounceMs = hotReload.opencodeHotReloadDebounceMs
        flags.cooldownMs = hotReload.opencodeHotReloadCooldownMs
        flags.reloadDeferMax = reloadDeferMax
        return flags
    }

    func validate() throws {
        do {
            _ = try settings(ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func settings(_ environment: [String: String]) throws(OpenWorkError) -> LifecycleSettings {
        try LifecycleSettings.resolve(flags, environment: environment)
    }

    /// The same options as arguments (for `daemon start`, which runs `daemon run`).
    var arguments: [String] {
        var arguments: [String] = []
        if let instanceIdleTtl { arguments += ["--instance-idle-ttl", instanceIdleTtl] }
        if let maxWarmInstances { arguments += ["--max-warm-instances", String(maxWarmInstances)] }
        arguments += hotReload.arguments
        if let reloadDeferMax { arguments += ["--reload-defer-max", reloadDeferMax] }
        return arguments
    }
}
