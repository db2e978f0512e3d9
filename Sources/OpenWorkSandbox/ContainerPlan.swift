/// The `docker` / `podman` / Apple `container` command lines of one host-mode run: pure, from the paths and
/// ports it is given.
///
/// Each service runs in its own container, so each is supervised, restarted and stopped by itself, as without a
/// sandbox. With docker and podman they share one network namespace, held by a small container started first
/// (``holder``, `-d`, the anchor's name `openwork-<run id>`): the services reach each other on 127.0.0.1 as they
/// do on the host, and the holder publishes every service port on the host's 127.0.0.1 only
/// (`-p 127.0.0.1:P:P`: the same number inside, so a service's listening line names the port the host reaches).
/// Apple's `container` has no shared network namespace: each service container publishes its own port.
///
/// A service container gets the workspace read-write at `/workspace` and at its own path (the engine routes
/// requests by that path), the persist directory at `/persist` (its `HOME`), the service's executable and its
/// run-path directories read-only at their own paths, the given read-write paths, and the extra mounts at
/// `/workspace/extra/<subpath>`; its secrets by name only (`--env NAME`: the value comes from the container
/// tool's own environment, never from argv); a label naming the data directory that owns it, so a later run
/// removes what a killed one left (``leftovers``). It runs `sh /persist/openwork-sandbox/<container>/entrypoint.sh
/// <working directory> <command…>` (``entrypoint``), which sets `HOME` and execs the command.
public struct ContainerPlan: Sendable, Hashable {
    /// `docker`, `podman` or `container`.
    public var backend: SandboxBackend
    public var executable: String
    public var image: String
    /// `openwork-<run id>`, sanitized: the holder's name and the services' prefix.
    public var name: String
    /// The value of the `openwork.owner` label: the owning data directory.
    public var owner: String
    public var workspace: String
    public var persist: String
    public var extra: [SandboxBind] = []

    public static let ownerLabel = "openwork.owner"
    public static let workspaceTarget = "/workspace"
    public static let persistTarget = "/persist"

    public init(
        backend: SandboxBackend, executable: String, image: String, runID: String, owner: String, workspace: String,
        persist: String
    ) {
        self.backend = backend
        self.executable = executable
        self.image = image
        self.name = Self.containerName(runID: runID)
        self.owner = owner
        self.workspace = workspace
        self.persist = persist
    }

    /// `openwork-` and the run id's first 24 letters, digits, `_`, `.` or `-` (others become `-`): the anchor's
    /// rule, without a trailing `-` or `.` (the services' names add `-<service>`).
    public static func containerName(runID: String) -> String {
        let safe = runID.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) ? $0 : "-" }
        var name = String(safe.prefix(24))
        while let last = name.last, last == "-" || last == "." { name.removeLast() }
        return "openwork-" + (name.isEmpty ? "run" : name)
    }

    /// Whether the services share the holder's network namespace (docker, podman) or publish their own ports.
    public var sharesNetwork: Bool { backend != .container }

    public func serviceName(_ service: String) -> String { name + "-" + service }

    /// The entrypoint's path inside the container, and on the host.
    public func entrypoint(for container: String) -> (inside: String, host: String) {
        let relative = "/openwork-sandbox/\(container)/entrypoint.sh"
        return (Self.persistTarget + relative, persist + relative)
    }

    /// The entrypoint script: `HOME=/persist`, into the working directory (`$1`), then exec the command.
    public static let entrypointScript = """
        #!/bin/sh
        # Written by openwork: runs one host-mode service in its container.
        set -e
        export HOME=/persist
        cd "$1"
        shift
        exec "$@"

        """

    /// The holder of the shared network namespace (docker, podman): detached, removed when stopped, publishing
    /// `ports` on 127.0.0.1 only.
    public func holder(ports: [Int]) -> [String] {
        var argv = [executable, "run", "-d", "--rm", "--name", name, "--label", "\(Self.ownerLabel)=\(owner)"]
        for port in ports { argv += ["-p", "127.0.0.1:\(port):\(port)"] }
        return argv + ["--entrypoint", "sleep", image, "infinity"]
    }

    /// One service's container, attached (its output is the service's), removed when it stops.
    /// - Parameters:
    ///   - ports: the ports it publishes itself (Apple container only; with a holder it publishes none).
    ///   - secretNames: the variables passed by name (their values are in the container tool's environment).
    ///   - readOnly: the executable and its run-path directories; `readWrite`: other paths it writes.
    public func service(
        _ service: String, command: [String], workingDirectory: String, ports: [Int], secretNames: [String],
        readOnly: [String], readWrite: [String]
    ) -> [String] {
        let container = serviceName(service)
        var argv = [executable, "run", "--rm", "--init", "--name", container, "--label", "\(Self.ownerLabel)=\(owner)"]
        if backend == .container { argv.removeAll { $0 == "--init" } }
        if sharesNetwork {
            argv += ["--network", "container:\(name)"]
        } else {
            for port in ports { argv += ["-p", "127.0.0.1:\(port):\(port)"] }
        }
        var mounts = [
            SandboxBind(source: workspace, target: Self.workspaceTarget, readOnly: false),
            SandboxBind(source: persist, target: Self.persistTarget, readOnly: false),
        ]
        if workspace != Self.workspaceTarget {
            mounts.append(SandboxBind(source: workspace, target: workspace, readOnly: false))
        }
        mounts += readWrite.map { SandboxBind(source: $0, target: $0, readOnly: false) }
        mounts += readOnly.filter { !readWrite.contains($0) }.map {
            SandboxBind(source: $0, target: $0, readOnly: true)
        }
        mounts += extra
        for mount in mounts { argv += volume(mount) }
        for name in secretNames.sorted() { argv += ["--env", name] }
        argv += ["--env", "HOME=\(Self.persistTarget)"]
        return argv + [image, "sh", entrypoint(for: container).inside, workingDirectory] + command
    }

    /// `-v source:target[:ro]`; Apple container: `--mount type=bind,source=…,target=…,readonly` for read-only.
    func volume(_ mount: SandboxBind) -> [String] {
        if backend == .container && mount.readOnly {
            return ["--mount", "type=bind,source=\(mount.source),target=\(mount.target),readonly"]
        }
        return ["-v", "\(mount.source):\(mount.target)" + (mount.readOnly ? ":ro" : "")]
    }

    /// Stops a container: its main process gets SIGTERM, then SIGKILL after `graceSeconds`.
    public func stop(_ container: String, graceSeconds: Int) -> [String] {
        [executable, "stop", "--time", String(max(0, graceSeconds)), container]
    }

    /// Lists the containers any run of this data directory left (`ps -a -q --filter label=…`); `nil` for Apple's
    /// container, whose listing cannot filter by label (removing by name prefix could hit another data
    /// directory's run).
    public var leftovers: [String]? {
        backend == .container ? nil : [executable, "ps", "-a", "-q", "--filter", "label=\(Self.ownerLabel)=\(owner)"]
    }

    /// Removes containers at once, running or not.
    public func remove(_ containers: [String]) -> [String] {
        [executable, "rm", "-f"] + containers
    }
}
