import Logging
import OpenWorkDashboard
import OpenWorkLogging

/// A model with fixed content, so frames are the same on every machine.
enum DashboardFixtures {
    static let header = DashboardModel.Header(
        name: "openwork", version: "0.1.0", runID: "run-golden", workspace: "/home/ada/projects/shop")
    /// 2026-11-30T08:00:00Z in Unix milliseconds.
    static let now: Int64 = 1_795_939_200_000

    static let services = [
        ServiceRow(name: "opencode", state: .healthy, pid: 4242, port: 4096, startedAt: now - 125_000, restarts: 0),
        ServiceRow(
            name: "openwork-server", state: .restarting, pid: nil, port: nil, startedAt: now - 3_000, restarts: 2,
            lastExit: "signal 9"),
    ]

    static let connection: [DashboardModel.ConnectionEntry] = [
        .init(label: "OpenWork URL", value: "http://127.0.0.1:8787"),
        .init(label: "OpenCode URL", value: "http://127.0.0.1:4096"),
        .init(label: "OpenCode password", value: "s3cret-password", masked: "[REDACTED]"),
        .init(label: "Owner token", value: "owner-token-value", masked: "[REDACTED]"),
        .init(
            label: "Attach",
            value: "OPENCODE_SERVER_USERNAME=opencode OPENCODE_SERVER_PASSWORD=s3cret-password opencode attach "
                + "http://127.0.0.1:4096 --dir /home/ada/projects/shop",
            masked: "OPENCODE_SERVER_USERNAME=opencode OPENCODE_SERVER_PASSWORD=[REDACTED] opencode attach "
                + "http://127.0.0.1:4096 --dir /home/ada/projects/shop"),
    ]

    static func line(_ index: Int, _ component: String = "opencode", _ level: Logger.Level = .info) -> LogLine {
        LogLine(
            timeUnixNano: UInt64(now) * 1_000_000 + UInt64(index) * 1_000_000_000, level: level,
            body: "line \(index)", component: component)
    }

    /// The model of a run: two services, the connection, `logs` lines from alternating services.
    static func model(width: Int = 100, height: Int = 30, logs: Int = 0) -> DashboardModel {
        var model = DashboardModel(header: header)
        model.apply(.resize(width: width, height: height))
        model.apply(.services(services))
        model.apply(.connection(entries: connection, attachCommand: connection[4].value))
        model.apply(.phase(.running))
        for index in 0..<logs {
            let component = ["opencode", "openwork-server", "engine"][index % 3]
            let level: Logger.Level = index % 10 == 9 ? .error : index % 5 == 4 ? .warning : .info
            model.apply(.log(line(index, component, level)))
        }
        return model
    }
}
