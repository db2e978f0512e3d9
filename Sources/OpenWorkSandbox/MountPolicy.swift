import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Decides which extra mounts (``MountRequest``) the allowlist allows: a pure function of the request, the
/// allowlist, the home and working directories, and a `realPath` function (injected, so that tests can lay out
/// any file system; callers pass ``systemRealPath(_:)``).
///
/// The rules, checked in this order (the first that fails refuses, as a ``MountRefusal/Rule``):
/// 1. **No allowlist file, no extra mount** (``MountRefusal/Rule/noAllowlist``); the message shows the file's
///    path and ``MountAllowlist/example``.
/// 2. **The subpath** is relative and not empty, with no `.` or `..` component and no `\`, `:` or `,`
///    (``MountRefusal/Rule/invalidSubpath``). The anchor refuses `..` anywhere, even inside `a..b`; `a..b` is a
///    name like any other here.
/// 3. **Blocked patterns** (``MountAllowlist/effectiveBlockedPatterns``) are matched against every component of
///    the host path *as given*, then (after 4) of its *real* path (``MountRefusal/Rule/blockedPattern``), so
///    that neither a link to `~/.ssh` nor a path through `~/.ssh/link` gets in. A pattern blocks a component
///    (case-insensitively) that equals it or contains it as a whole word: starting the component or right after
///    `.`, `-` or `_`, and ending it or followed by one of those. So `.env` blocks `.env` and `.env.local` but
///    not `.envoy`, `.environment` or `project.env`; `credentials` blocks `credentials.json` and
///    `aws-credentials`; `id_rsa` blocks `id_rsa.pub`. The anchor matches substrings of the whole real path,
///    which also blocks `.envoy` and `my.secrets-notes`; here a pattern never matches across or inside words.
///    (Files *inside* a mounted directory are not looked at, as in the anchor.)
/// 4. **The host path exists**: `~` expanded with the injected home, a relative path taken from the working
///    directory, `..` resolved lexically (as the anchor's `resolve`), then symbolic links followed
///    (``MountRefusal/Rule/hostPathMissing``).
/// 5. **Under an allowed root**: the real host path is a root's real path or lies under it, component by
///    component (`/a/bc` is not under `/a/b`); roots that do not exist are skipped
///    (``MountRefusal/Rule/outsideAllowedRoots``). When several roots contain the path, the most specific one
///    (the longest real path) decides the access; the anchor takes the first in the file.
/// 6. **Access**: read-write only when the request says `rw` and that root has `allowReadWrite: true`. A `rw`
///    request under a read-only root is mounted read-only, as in the anchor, but not silently: the decision's
///    note says so.
///
/// The messages reuse the anchor's texts (`resolveSandboxExtraMounts` in the OpenWork orchestrator's
/// `apps/orchestrator/src/cli.ts`): "Additional sandbox mounts are blocked. Create … to enable.", "Invalid
/// sandbox container subpath: …", "Sandbox mount host path does not exist: … (expanded: …)", "Sandbox mount
/// rejected (blocked pattern "…"): …", "Sandbox mount rejected: … is not under any allowed root. Allowed: …";
/// a blocked pattern's message adds which component of which path matched.
///
/// This type does not read the allowlist file (``MountAllowlist/load(path:)`` does) nor mount anything.
public struct MountPolicy: Sendable {
    /// `nil` when there is no allowlist file.
    public var allowlist: MountAllowlist?
    /// Where the allowlist file is (or would be), for messages.
    public var allowlistPath: String
    public var home: String
    /// For relative host paths; absolute.
    public var workingDirectory: String
    /// The real path of an absolute path (symbolic links followed), `nil` when it does not exist.
    public var realPath: @Sendable (String) -> String?

    public init(
        allowlist: MountAllowlist?, allowlistPath: String, home: String, workingDirectory: String,
        realPath: @escaping @Sendable (String) -> String? = MountPolicy.systemRealPath
    ) {
        self.allowlist = allowlist
        self.allowlistPath = allowlistPath
        self.home = home
        self.workingDirectory = workingDirectory
        self.realPath = realPath
    }

    /// `realpath(3)`: the canonical absolute path, `nil` when a component does not exist or cannot be resolved.
    public static func systemRealPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The decision about every request of a list, in order; a request whose target an earlier allowed one
    /// already takes is refused (``MountRefusal/Rule/duplicateTarget``).
    public func decide(_ requests: [MountRequest]) -> [MountDecision] {
        var taken: [String: MountRequest] = [:]
        return requests.map { request in
            let decision = decide(request)
            guard case .allowed(let mount, _) = decision else { return decision }
            if let earlier = taken[mount.target] {
                let message = "Sandbox mount rejected: \(mount.target) is already the target of \(earlier.spec)"
                return .refused(MountRefusal(rule: .duplicateTarget, request: request, message: message))
            }
            taken[mount.target] = request
            return decision
        }
    }

    /// The decision about one request.
    public func decide(_ request: MountRequest) -> MountDecision {
        func refuse(_ rule: MountRefusal.Rule, _ message: String) -> MountDecision {
            .refused(MountRefusal(rule: rule, request: request, message: message))
        }
        guard let allowlist else {
            return refuse(
                .noAllowlist,
                "Additional sandbox mounts are blocked. Create \(allowlistPath) to enable.\n\nExample:\n"
                    + MountAllowlist.example)
        }
        guard let subpath = Self.normalizedSubpath(request.subpath) else {
            return refuse(
                .invalidSubpath,
                "Invalid sandbox container subpath: \"\(request.subpath)\". Use a relative path without \"/\" "
                    + "prefix or \"..\".")
        }
        let patterns = allowlist.effectiveBlockedPatterns
        if let (pattern, component) = Self.blockedComponent(of: request.hostPath, patterns: patterns) {
            return refuse(
                .blockedPattern(pattern: pattern, component: component),
                "Sandbox mount rejected (blocked pattern \"\(pattern)\"): \(request.hostPath) "
                    + "(component \"\(component)\" of the path as given)")
        }
        let expanded = try? PathNormalizer.normalize(request.hostPath, relativeTo: workingDirectory, home: home)
        guard let expanded, let real = realPath(expanded) else {
            return refuse(
                .hostPathMissing,
                "Sandbox mount host path does not exist: \(request.hostPath) (expanded: \(expanded ?? request.hostPath))"
            )
        }
        if let (pattern, component) = Self.blockedComponent(of: real, patterns: patterns) {
            return refuse(
                .blockedPattern(pattern: pattern, component: component),
                "Sandbox mount rejected (blocked pattern \"\(pattern)\"): \(real) (component \"\(component)\" of the "
                    + "real path)")
        }
        guard let root = containingRoot(of: real, in: allowlist.allowedRoots) else {
            let allowed = allowlist.allowedRoots.map { expand($0.path) }
            return refuse(
                .outsideAllowedRoots,
                "Sandbox mount rejected: \(real) is not under any allowed root. Allowed: "
                    + (allowed.isEmpty ? "(none)" : allowed.joined(separator: ", ")))
        }
        let mount = SandboxMount(
            hostPath: real, subpath: subpath, readOnly: request.access == .readOnly || !root.allowReadWrite)
        guard request.access == .readWrite, !root.allowReadWrite else { return .allowed(mount, note: nil) }
        let note =
            "\(request.spec): mounted read-only: rw was asked for, but the allowed root \(root.path) does not "
            + "have \"allowReadWrite\": true"
        return .allowed(mount, note: note)
    }

    /// Whether `pattern` blocks the path component `component` (the rule is in the type's documentation).
    public static func blocks(_ pattern: String, component: String) -> Bool {
        let pattern = pattern.lowercased()
        let component = component.lowercased()
        guard !pattern.isEmpty else { return false }
        let delimiters: Set<Character> = [".", "-", "_"]
        // Every place a word starts: the beginning, and after each delimiter.
        var start = component.startIndex
        while true {
            let rest = component[start...]
            if rest.hasPrefix(pattern), rest.dropFirst(pattern.count).first.map(delimiters.contains) ?? true {
                return true
            }
            guard let delimiter = rest.firstIndex(where: delimiters.contains) else { return false }
            start = component.index(after: delimiter)
        }
    }

    /// The first pattern (in order) blocking a component of `path`, with that component.
    private static func blockedComponent(of path: String, patterns: [String]) -> (String, String)? {
        let components = path.split(separator: "/").map(String.init).filter { $0 != "." && $0 != ".." }
        for pattern in patterns {
            if let component = components.first(where: { blocks(pattern, component: $0) }) {
                return (pattern, component)
            }
        }
        return nil
    }

    /// `subpath` with its components joined by single slashes, or `nil` when it is not acceptable.
    private static func normalizedSubpath(_ subpath: String) -> String? {
        guard !subpath.hasPrefix("/"), !subpath.contains(where: { "\\:,\0".contains($0) }) else { return nil }
        let components = subpath.split(separator: "/")
        guard !components.isEmpty, !components.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        return components.joined(separator: "/")
    }

    /// The most specific root whose real path contains `real` (the first in the file among equals).
    private func containingRoot(of real: String, in roots: [MountAllowlist.Root]) -> MountAllowlist.Root? {
        var best: (root: MountAllowlist.Root, realRoot: String)?
        for root in roots {
            guard let realRoot = realPath(expand(root.path)),
                real == realRoot || realRoot == "/" || real.hasPrefix(realRoot + "/")
            else { continue }
            if best.map({ realRoot.count > $0.realRoot.count }) ?? true { best = (root, realRoot) }
        }
        return best?.root
    }

    /// A root's path with `~` expanded and `.`/`..` resolved lexically.
    private func expand(_ path: String) -> String {
        (try? PathNormalizer.normalize(path, relativeTo: workingDirectory, home: home)) ?? path
    }
}
