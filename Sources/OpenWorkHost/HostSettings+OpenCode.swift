public import OpenWorkCore

extension HostSettings {
    /// opencode as host mode runs it (the anchor's argv and environment): the workspace as its working directory,
    /// `--port` (0: its own choice), `--log-level`, `--cors` for each origin, this run's credentials, and
    /// `OPENCODE_CLIENT`, `OPENWORK=1`, the run id, `OTEL_RESOURCE_ATTRIBUTES`, `OPENCODE_CONFIG_DIR` and the
    /// hot-reload variables in its environment. It may take ``startupTimeout`` to become ready. In a `sandbox`,
    /// its command is wrapped (opencode's config directory writable inside) and a container's port and bind
    /// address are used.
    public func configureOpenCode(
        _ opencode: inout OpenCodeService.Configuration, dataDirectory: String, sandbox: HostSandbox = .none
    ) {
        opencode.port = sandbox.ports?.opencode ?? opencodePort
        if let host = sandbox.bindHost { opencode.hostname = host }
        opencode.launch = sandbox.launch(service: "opencode", writable: [dataDirectory + "/opencode-config"])
        opencode.beforeStop = sandbox.beforeStop(service: "opencode")
        opencode.workingDirectory = workspace
        opencode.username = secrets.opencodeUsername
        opencode.password = secrets.opencodePassword
        opencode.startTimeout = startupTimeout
        var arguments: [String] = []
        if let opencodeLogLevel { arguments += ["--log-level", opencodeLogLevel] }
        for origin in cors { arguments += ["--cors", origin] }
        opencode.extraArguments = arguments
        opencode.environment.merge([
            "OPENCODE_CLIENT": "openwork-orchestrator",
            "OPENWORK": "1",
            "OPENWORK_RUN_ID": runID,
            "OTEL_RESOURCE_ATTRIBUTES": otelAttributes(
                service: "opencode", inherited: opencode.environment["OTEL_RESOURCE_ATTRIBUTES"]),
            "OPENCODE_CONFIG_DIR": dataDirectory + "/opencode-config",
            "OPENCODE_HOT_RELOAD": hotReload.enabled ? "1" : "0",
            "OPENCODE_HOT_RELOAD_DEBOUNCE_MS": String(hotReload.debounceMs),
            "OPENCODE_HOT_RELOAD_COOLDOWN_MS": String(hotReload.cooldownMs),
        ]) { _, new in new }
    }
}
