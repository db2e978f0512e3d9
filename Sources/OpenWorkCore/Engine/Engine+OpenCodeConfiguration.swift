extension Engine {
    /// opencode as a supervised service of this engine: `opencode`'s description, recording its child in the
    /// state file.
    static func service(_ opencode: OpenCodeService.Configuration, client: OpenCodeClient, registry: Registry)
        -> ServiceDescription
    {
        var service = opencode.description(client: client)
        service.record = { record in try? await registry.setRecord(.opencode, record?.json) }
        return service
    }

    /// Runs opencode from now on as `adjust` makes it from the engine's own configuration (host mode in a
    /// running daemon: its port, working directory, credentials, arguments and environment), or as configured
    /// again with `nil`. A running opencode is stopped first (its exit says `stopping: true`); the next call that
    /// needs opencode starts the new one, with the binary already resolved. Calls wait up to `readyDeadline` for
    /// it (`nil`: the configured deadline).
    public func reconfigureOpenCode(
        _ adjust: (@Sendable (inout OpenCodeService.Configuration) -> Void)?, readyDeadline: Duration? = nil
    ) async {
        var opencode = opencodeConfiguration
        adjust?(&opencode)
        self.readyDeadline = readyDeadline ?? configuration.readyDeadline
        await supervisor.replace(Self.service(opencode, client: client, registry: registry))
    }
}
