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

    @Flag(
        inversion: .prefixedNo,
        help:
            "Reload an instance when its workspace's configuration changes (default: $OPENWORK_OPENCODE_HOT_RELOAD, else yes)."
    )
    var opencodeHotReload: Bool?

    @Option(help: "Hot-reload debounce in ms (default: $OPENWORK_OPENCODE_HOT_RELOAD_DEBOUNCE_MS, else 700).")
    var opencodeHotReloadDebounceMs: Int?

    @Option(help: "Hot-reload cooldown in ms (default: $OPENWORK_OPENCODE_HOT_RELOAD_COOLDOWN_MS, else 1500).")
    var opencodeHotReloadCooldownMs: Int?

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
        flags.hotReload = opencodeHotReload
        flags.debounceMs = opencodeHotReloadDebounceMs
        flags.cooldownMs = opencodeHotReloadCooldownMs
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
        if let opencodeHotReload {
            arguments.append(opencodeHotReload ? "--opencode-hot-reload" : "--no-opencode-hot-reload")
        }
        if let opencodeHotReloadDebounceMs {
            arguments += ["--opencode-hot-reload-debounce-ms", String(opencodeHotReloadDebounceMs)]
        }
        if let opencodeHotReloadCooldownMs {
            arguments += ["--opencode-hot-reload-cooldown-ms", String(opencodeHotReloadCooldownMs)]
        }
        if let reloadDeferMax { arguments += ["--reload-defer-max", reloadDeferMax] }
        return arguments
    }
}
