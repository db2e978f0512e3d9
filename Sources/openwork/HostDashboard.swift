import Foundation
import OpenWorkCore
import OpenWorkDashboard
import OpenWorkHost
import OpenWorkJSON
import OpenWorkLogging
import OpenWorkSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `openwork start`'s dashboard, wired to the run: the log records go to it (redacted), the services' states
/// follow the host's events, the connection details appear once the services are ready, and its keys become
/// stop, detach and restart requests. Once closed, log records go back to stderr as plain lines.
final class HostDashboard: Sendable {
    let dashboard: Dashboard
    private let isOpen = Mutex(true)
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let finishers = Mutex<[@Sendable () -> Void]>([])
    private let detachRequested = Mutex(false)
    /// The connection as last shown (its URLs follow restarted services to their new ports).
    private let shown = Mutex<HostConnection?>(nil)

    private init(_ dashboard: Dashboard) {
        self.dashboard = dashboard
    }

    /// The dashboard when `choice` asks for one and the terminal can show it; otherwise nil, after saying on
    /// stderr why a dashboard that was wanted cannot be.
    static func open(_ choice: DashboardChoice, settings: HostSettings) async -> HostDashboard? {
        switch choice {
        case .plain(let reason):
            if let reason { Self.say("the dashboard is off: \(reason); plain logs follow") }
            return nil
        case .dashboard:
            let header = DashboardModel.Header(
                name: "openwork", version: OpenWorkVersion.current, runID: settings.runID,
                workspace: settings.workspace)
            do throws(DashboardUnavailable) {
                return HostDashboard(try await Dashboard.open(header: header))
            } catch {
                Self.say("the dashboard cannot start: \(error); plain logs follow")
                return nil
            }
        }
    }

    static func say(_ message: String) {
        FileHandle.standardError.write(Data("openwork: \(message)\n".utf8))
    }

    /// Where a log record goes: the dashboard while it is open, else `plain` (stderr).
    func route(_ line: LogLine, plain: LogSettings) {
        let open = isOpen.withLock { $0 }
        if open { dashboard.post(.log(line)) } else { plain.emit(line) }
    }

    /// Feeds the services' states (on every `service.*` event, and each second for uptimes and pids) and carries
    /// out the dashboard's commands: quit and detach through `requestStop`, restart on the host.
    func follow(_ host: HostMode, events: EventBus, requestStop: @escaping @Sendable () -> Void) {
        let dashboard = dashboard
        let (subscription, finish) = events.subscription()
        let refresh = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in subscription where event["type"]?.stringValue?.hasPrefix("service.") == true {
                        await self.refresh(host)
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        await self.refresh(host)
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        let commands = Task {
            for await command in dashboard.commands {
                switch command {
                case .quit:
                    requestStop()
                case .detach:
                    detachRequested.withLock { $0 = true }
                    requestStop()
                case .restart(let service):
                    do throws(OpenWorkError) {
                        try await host.restart(service: service)
                    } catch {
                        dashboard.post(
                            .toast("Cannot restart \(service): \(error.message)", now: Dashboard.monotonic()))
                    }
                case .copy:
                    break
                }
            }
        }
        tasks.withLock { $0 += [refresh, commands] }
        finishers.withLock { $0.append(finish) }
    }

    /// The connection as the dashboard shows it now (nil before the services are up).
    var connection: HostConnection? { shown.withLock { $0 } }

    /// Whether the person pressed `d`.
    var wantsDetach: Bool { detachRequested.withLock { $0 } }

    /// The services' states now, and the connection's URLs and owner token as they are now (a service restarted
    /// on a port of its own choosing has a new URL; a re-verified openwork-server a new owner token).
    private func refresh(_ host: HostMode) async {
        let status = await host.status()
        dashboard.post(.services(ServiceRow.rows(hostStatus: status)))
        guard let last = shown.withLock({ $0 }) else { return }
        let current = HostController.current(
            last, services: status["services"]?.arrayValue ?? [], ownerToken: await host.currentOwnerToken)
        if current != last { show(current) }
    }

    /// Shows the connection details (secrets masked until `s`) and that the run is up.
    func started(_ connection: HostConnection) {
        show(connection)
        dashboard.post(.phase(.running))
    }

    private func show(_ connection: HostConnection) {
        shown.withLock { $0 = connection }
        let mask = Redactor.mask
        var entries: [DashboardModel.ConnectionEntry] = [
            .init(label: "OpenWork URL", value: connection.openworkURL)
        ]
        if connection.openworkConnectURL != connection.openworkURL {
            entries.append(.init(label: "OpenWork connect URL", value: connection.openworkConnectURL))
        }
        entries += [
            .init(label: "OpenCode URL", value: connection.opencodeURL),
            .init(label: "OpenCode connect URL", value: connection.opencodeConnectURL),
        ]
        if let router = connection.routerURL { entries.append(.init(label: "opencode-router health", value: router)) }
        if let backend = connection.sandbox["backend"]?.stringValue, backend != "none" {
            entries.append(
                .init(label: "Sandbox", value: "\(backend) (\(connection.sandbox["reason"]?.stringValue ?? ""))"))
        }
        entries += [
            .init(label: "OpenCode username", value: connection.secrets.opencodeUsername, masked: mask),
            .init(label: "OpenCode password", value: connection.secrets.opencodePassword, masked: mask),
            .init(label: "Collaborator token", value: connection.secrets.collaboratorToken, masked: mask),
            .init(label: "Owner token", value: connection.ownerToken ?? "none", masked: mask),
            .init(label: "Host admin token", value: connection.secrets.hostToken, masked: mask),
            .init(
                label: "Attach", value: connection.attachCommand(showSecrets: true),
                masked: connection.attachCommand(showSecrets: false)),
        ]
        dashboard.post(.connection(entries: entries, attachCommand: connection.attachCommand(showSecrets: true)))
    }

    func phase(_ phase: DashboardModel.Phase) { dashboard.post(.phase(phase)) }

    /// Gives the terminal back; log records go to stderr from now on. Returns the last model.
    func close() async -> DashboardModel {
        for finish in finishers.withLock({ $0 }) { finish() }
        for task in tasks.withLock({ $0 }) { task.cancel() }
        isOpen.withLock { $0 = false }
        return await dashboard.close()
    }

    /// The last `count` log lines of a closed dashboard, as plain text: what led to a failure.
    static func lastLines(_ model: DashboardModel, count: Int) -> [String] {
        let lines = model.logs.enumerated().map(\.line)
        return lines.suffix(count).map { $0.pretty() }
    }
}
