import Foundation
import Logging
public import OpenWorkCore
public import OpenWorkJSON
public import OpenWorkSandbox
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Host mode's sandbox for one run: the backend chosen (``SandboxChoice``), the mounts allowed, and how each
/// service's command is wrapped (``BubblewrapPlan``, ``ContainerPlan``) and stopped. With `none` it changes
/// nothing.
///
/// ``prepare(_:runID:workspace:dataDirectory:environment:)`` does what must happen once before any service starts:
/// it creates the persist directory, judges the extra mounts, and for docker and podman removes the containers a
/// killed run of this data directory left and starts the network holder. ``finish()`` stops the holder.
public struct HostSandbox: Sendable {
    public enum Plan: Sendable {
        case none
        case bwrap(BubblewrapPlan)
        case container(ContainerPlan, ports: Ports)
    }

    /// The ports a container run publishes, chosen before anything starts (the container tool must know them).
    public struct Ports: Sendable, Hashable {
        public var opencode: Int
        public var openwork: Int
        public var router: Int
    }

    public let choice: SandboxChoice
    public let plan: Plan
    public let mounts: [SandboxMount]
    public let persist: String?
    let environment: [String: String]

    /// No sandbox: today's behaviour.
    public static let none = HostSandbox(
        choice: SandboxChoice(backend: .none, executable: nil, reason: "sandbox off (--sandbox none)"), plan: .none,
        mounts: [], persist: nil, environment: [:])

    /// `{backend, reason}` plus, when sandboxed, the persist directory and the extra mounts: what `--json` and
    /// `host.status` report.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "backend": .string(choice.backend.rawValue), "reason": .string(choice.reason),
        ]
        if let persist { members["persistDir"] = .string(persist) }
        if choice.backend != .none {
            members["mounts"] = .array(
                mounts.map {
                    ["hostPath": .string($0.hostPath), "target": .string($0.target), "readOnly": .bool($0.readOnly)]
                })
        }
        return .object(members)
    }

    /// The bind address services listen on: 127.0.0.1, or every interface of a container (its published ports
    /// reach it there; the host side is still 127.0.0.1 only).
    public var bindHost: String? {
        if case .container = plan { return "0.0.0.0" }
        return nil
    }

    public var ports: Ports? {
        if case .container(_, let ports) = plan { return ports }
        return nil
    }

    // MARK: Preparing

    /// The sandbox `host` asks for. Call it while holding the data directory (a container run removes the
    /// containers an earlier run of it left).
    public static func prepare(
        _ host: HostSettings, dataDirectory: DataDirectory, environment: [String: String],
        platform: SandboxChoice.Platform = .current
    ) async throws(OpenWorkError) -> HostSandbox {
        try await prepare(
            host.sandbox, runID: host.runID, workspace: host.workspace, dataDirectory: dataDirectory,
            environment: environment,
            requestedPorts: Ports(opencode: host.opencodePort, openwork: host.openworkPort, router: 0),
            platform: platform)
    }

    static func prepare(
        _ settings: SandboxSettings, runID: String, workspace: String, dataDirectory: DataDirectory,
        environment: [String: String], requestedPorts: Ports, platform: SandboxChoice.Platform
    ) async throws(OpenWorkError) -> HostSandbox {
        let find = { (program: String) in Executable.onPath(program, environment: environment) }
        // Found is not enough: a docker client without an engine, a bwrap without user namespaces. Each backend
        // the request may take is tried once, with a deadline.
        let tried: [SandboxBackend] =
            switch settings.requested {
            case .auto: SandboxChoice.candidates(on: platform)
            case .backend(let backend): [backend]
            }
        var problems: [SandboxBackend: String] = [:]
        for backend in tried where backend != .none {
            guard let path = find(backend.rawValue) else { continue }
            problems[backend] = await problem(of: backend, at: path, environment: environment)
        }
        let choice = try SandboxChoice.choose(settings.requested, platform: platform, find: find) { backend, _ in
            problems[backend]
        }
        guard let executable = choice.executable, choice.backend != .none else {
            guard settings.mounts.isEmpty else {
                throw OpenWorkError(
                    .invalidSetting, "--sandbox-mount needs a sandbox (--sandbox bwrap|docker|podman|container|auto)")
            }
            return HostSandbox(choice: choice, plan: .none, mounts: [], persist: nil, environment: environment)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let mounts = try allowedMounts(settings, home: home)
        let persist = try persistDirectory(settings, dataDirectory: dataDirectory, home: home)
        let logger = Logger(label: "openwork.sandbox")
        switch choice.backend {
        case .bwrap:
            var plan = BubblewrapPlan(
                bwrap: executable, terminateReset: await terminateResetWorks(environment), root: rootEntries(),
                workspace: workspace, persist: persist)
            plan.extra = mounts.map(\.bind)
            if !plan.terminateReset {
                logger.warning("env has no --default-signal (coreutils < 8.31): sandboxed services get no stop grace")
            }
            return HostSandbox(
                choice: choice, plan: .bwrap(plan), mounts: mounts, persist: persist, environment: environment)
        default:
            var plan = ContainerPlan(
                backend: choice.backend, executable: executable, image: settings.image, runID: runID,
                owner: dataDirectory.path, workspace: workspace, persist: persist)
            plan.extra = mounts.map(\.bind)
            let ports = try Ports(
                opencode: requestedPorts.opencode == 0 ? freePort() : requestedPorts.opencode,
                openwork: requestedPorts.openwork == 0 ? freePort() : requestedPorts.openwork,
                router: requestedPorts.router == 0 ? freePort() : requestedPorts.router)
            let sandbox = HostSandbox(
                choice: choice, plan: .container(plan, ports: ports), mounts: mounts, persist: persist,
                environment: environment)
            try await sandbox.startContainers(plan, ports: ports)
            return sandbox
        }
    }

    /// The extra mounts, each judged by the allowlist: every one allowed, or the first refusal thrown
    /// (`sandbox_mount_refused`, naming the rule); a mount narrowed to read-only is logged.
    static func allowedMounts(_ settings: SandboxSettings, home: String) throws(OpenWorkError) -> [SandboxMount] {
        guard !settings.mounts.isEmpty else { return [] }
        var requests: [MountRequest] = []
        for spec in settings.mounts { requests += try MountRequest.parseList(spec) }
        let path = MountAllowlist.path(
            override: settings.allowlistPath, home: home, workingDirectory: settings.workingDirectory)
        let policy = MountPolicy(
            allowlist: try MountAllowlist.load(path: path), allowlistPath: path, home: home,
            workingDirectory: settings.workingDirectory)
        var mounts: [SandboxMount] = []
        for decision in policy.decide(requests) {
            switch decision {
            case .allowed(let mount, let note):
                if let note { Logger(label: "openwork.sandbox").warning("\(note)") }
                mounts.append(mount)
            case .refused(let refusal):
                throw refusal.error
            }
        }
        return mounts
    }

    /// Why `backend`'s executable at `path` does not work here, or `nil`: docker and podman must reach their
    /// engine (`version`), Apple's container its service (`ls`), bubblewrap must make a sandbox (user
    /// namespaces may be off).
    static func problem(of backend: SandboxBackend, at path: String, environment: [String: String]) async -> String? {
        let argv: [String]
        switch backend {
        case .none: return nil
        case .bwrap: argv = [path, "--ro-bind", "/", "/", "--", "/bin/sh", "-c", "exit 0"]
        case .container: argv = [path, "ls"]
        case .docker, .podman: argv = [path, "version"]
        }
        let outcome = await SandboxCommand.run(argv, environment: environment, timeout: .seconds(20))
        return outcome.succeeded ? nil : outcome.problem
    }

    /// `--sandbox-persist-dir`, else the data directory's `sandbox/persist` (created private, never a link).
    static func persistDirectory(_ settings: SandboxSettings, dataDirectory: DataDirectory, home: String)
        throws(OpenWorkError) -> String
    {
        guard let given = settings.persistDirectory else {
            try dataDirectory.subdirectory("sandbox")
            return try dataDirectory.subdirectory("sandbox/persist")
        }
        let path = given == "~" || given.hasPrefix("~/") ? home + given.dropFirst() : given
        do {
            try Directory.createPrivate(path)
        } catch {
            throw OpenWorkError(.invalidSetting, "--sandbox-persist-dir: \(error.description)")
        }
        return path
    }

    /// Whether this system's `env` restores a signal's default (`--default-signal`, coreutils 8.31+).
    static func terminateResetWorks(_ environment: [String: String]) async -> Bool {
        await SandboxCommand.run(
            ["/usr/bin/env", "--ignore-signal=TERM", "/usr/bin/env", "--default-signal=TERM", "true"],
            environment: environment, timeout: .seconds(10)
        ).succeeded
    }

    /// The host's root entries, as they are here.
    static func rootEntries() -> [BubblewrapPlan.RootEntry] {
        BubblewrapPlan.root(
            exists: { access($0, F_OK) == 0 },
            symlinkTarget: { path in
                var buffer = [CChar](repeating: 0, count: 4096)
                let count = readlink(path, &buffer, buffer.count - 1)
                guard count > 0 else { return nil }
                return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            })
    }

    /// A port the kernel says is free on 127.0.0.1 now (a container tool needs the number before the service
    /// starts; a race with another process taking it shows up as a failed start, which is retried).
    static func freePort() throws(OpenWorkError) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw OpenWorkError(.sandboxUnavailable, "cannot open a socket to pick a port") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else { throw OpenWorkError(.sandboxUnavailable, "cannot pick a free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: Services

    /// How `service`'s command is wrapped; `writable` are host paths it must write besides the workspace and
    /// the persist directory (opencode's config directory, the router's data directory), created when missing.
    public func launch(service: String, writable: [String] = []) -> @Sendable (LaunchCommand) -> LaunchCommand {
        switch plan {
        case .none:
            return { $0 }
        case .bwrap(let plan):
            return { command in
                var plan = plan
                plan.readOnly = ExecutableLibraries.readOnlyPaths(for: command.executable)
                plan.readWrite = Self.writable(writable)
                let argv = plan.command(
                    command.executable, command.arguments, workingDirectory: command.workingDirectory)
                var environment = command.environment
                environment["HOME"] = BubblewrapPlan.persistTarget
                return LaunchCommand(
                    executable: argv[0], arguments: Array(argv.dropFirst()), environment: environment,
                    workingDirectory: command.workingDirectory)
            }
        case .container(let plan, let ports):
            let published =
                switch service {
                case "opencode": ports.opencode
                case "openwork-server": ports.openwork
                default: ports.router
                }
            let container = plan.serviceName(service)
            return { command in
                Self.stageEntrypoint(plan.entrypoint(for: container).host)
                let argv = plan.service(
                    service, command: [command.executable] + command.arguments,
                    workingDirectory: command.workingDirectory ?? plan.workspace, ports: [published],
                    secretNames: Self.passedByName(command.environment),
                    readOnly: ExecutableLibraries.readOnlyPaths(for: command.executable),
                    readWrite: Self.writable(writable))
                // The container tool's own environment carries every value the `--env NAME`s name.
                return LaunchCommand(
                    executable: argv[0], arguments: Array(argv.dropFirst()), environment: command.environment,
                    workingDirectory: command.workingDirectory)
            }
        }
    }

    /// `docker stop --time <grace> <container>` before the supervisor signals the attached client, for container
    /// backends; `nil` otherwise.
    public func beforeStop(service: String) -> (@Sendable (Duration) async -> Void)? {
        guard case .container(let plan, _) = plan else { return nil }
        let environment = environment
        return { grace in
            let seconds = Int((grace.components.seconds) + (grace.components.attoseconds > 0 ? 1 : 0))
            _ = await SandboxCommand.run(
                plan.stop(plan.serviceName(service), graceSeconds: seconds), environment: environment,
                timeout: grace + .seconds(10))
        }
    }

    /// Stops the network holder of a container run (the services are stopped by then).
    public func finish() async {
        guard case .container(let plan, _) = plan, plan.sharesNetwork else { return }
        _ = await SandboxCommand.run(
            plan.stop(plan.name, graceSeconds: 1), environment: environment, timeout: .seconds(15))
    }

    /// Removes what a killed run of this data directory left, then starts the network holder.
    func startContainers(_ plan: ContainerPlan, ports: Ports) async throws(OpenWorkError) {
        if let leftovers = plan.leftovers {
            let listed = await SandboxCommand.run(leftovers, environment: environment, timeout: .seconds(30))
            guard listed.succeeded else {
                throw OpenWorkError(
                    .sandboxUnavailable, "\(plan.backend.rawValue) does not answer: \(listed.problem)",
                    details: ["backend": .string(plan.backend.rawValue)])
            }
            let left = listed.output.map(\.trimmingWhitespace).filter { !$0.isEmpty }
            if !left.isEmpty {
                Logger(label: "openwork.sandbox").warning(
                    "removing containers a previous run left",
                    metadata: ["containers": "\(left.joined(separator: ","))"])
                _ = await SandboxCommand.run(plan.remove(left), environment: environment, timeout: .seconds(30))
            }
        }
        guard plan.sharesNetwork else { return }
        let started = await SandboxCommand.run(
            plan.holder(ports: [ports.opencode, ports.openwork, ports.router]), environment: environment,
            timeout: .seconds(120))
        guard started.succeeded else {
            throw OpenWorkError(
                .sandboxUnavailable, "cannot start the sandbox's network container: \(started.problem)",
                details: ["backend": .string(plan.backend.rawValue)])
        }
    }

    /// `paths` as real paths, each created (private) when missing: the directories a service writes besides
    /// the workspace and the persist directory.
    static func writable(_ paths: [String]) -> [String] {
        paths.compactMap { path in
            if access(path, F_OK) != 0 { try? Directory.createPrivate(path) }
            return MountPolicy.systemRealPath(path)
        }
    }

    /// The variables a container gets by name: every one of the command's environment but the host's own
    /// locations (`HOME`, `PATH`, `PWD`…), which mean nothing inside.
    static func passedByName(_ environment: [String: String]) -> [String] {
        let hostOnly: Set = [
            "HOME", "PATH", "PWD", "OLDPWD", "SHELL", "TMPDIR", "USER", "LOGNAME", "TERM", "SHLVL", "_",
        ]
        return environment.keys.filter { !hostOnly.contains($0) && !$0.hasPrefix("XDG_") }
    }

    static func stageEntrypoint(_ path: String) {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        try? Directory.createPrivate(directory)
        try? DurableFile.write(Array(ContainerPlan.entrypointScript.utf8), to: path, mode: 0o755)
    }
}
