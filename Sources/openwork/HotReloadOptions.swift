import ArgumentParser

/// The hot-reload flags, the same for host mode (`start`, `serve`) and the serving commands (`daemon run|start|
/// restart`, `rpc`): whether a warm instance is reloaded when its workspace's configuration changes, and the
/// watcher's debounce and cooldown. Each falls back to its `OPENWORK_OPENCODE_HOT_RELOAD*` variable.
struct HotReloadOptions: ParsableArguments {
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

    /// The same options as arguments (for a command that starts another with them).
    var arguments: [String] {
        var arguments: [String] = []
        if let opencodeHotReload {
            arguments.append(opencodeHotReload ? "--opencode-hot-reload" : "--no-opencode-hot-reload")
        }
        if let opencodeHotReloadDebounceMs {
            arguments += ["--opencode-hot-reload-debounce-ms", String(opencodeHotReloadDebounceMs)]
        }
        if let opencodeHotReloadCooldownMs {
            arguments += ["--opencode-hot-reload-cooldown-ms", String(opencodeHotReloadCooldownMs)]
        }
        return arguments
    }
}
