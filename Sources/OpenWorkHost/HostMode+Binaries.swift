import Logging
public import OpenWorkSidecars
public import OpenWorkSystem

extension HostMode.Binaries {
    /// openwork-server (required) and opencode-router (when asked for; optional unless required) through the
    /// sidecar policy: what `openwork start|serve` and `host.start` run.
    public static func resolve(_ sidecars: SidecarResolver, settings: HostSettings) async throws(OpenWorkError)
        -> HostMode.Binaries
    {
        let server = try await sidecars.resolve(.openworkServer)
        var binaries = HostMode.Binaries(
            openworkServer: server.path, openworkServerVersion: server.verified ? server.expectedVersion : nil)
        if settings.router != .off {
            do {
                binaries.router = try await sidecars.resolve(.opencodeRouter).path
            } catch {
                guard settings.router == .optional else { throw error }
                Logger(label: "openwork.host").warning(
                    "opencode-router not found; continuing without it", metadata: ["error": "\(error.message)"])
            }
        }
        return binaries
    }
}
