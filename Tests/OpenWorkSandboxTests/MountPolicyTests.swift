import Foundation
import OpenWorkJSON
import OpenWorkSandbox
import OpenWorkSystem
import OpenWorkTesting
import Testing

@Suite("Sandbox mount policy")
struct MountPolicyTests {
    private static let allowlistPath = "/home/u/.config/openwork/sandbox-mount-allowlist.json"
    private static let projects = MountAllowlist.Root(path: "~/projects", allowReadWrite: true)
    private static let documents = MountAllowlist.Root(path: "~/Documents")
    private static let files = FakeFiles(existing: [
        "/", "/home/u", "/home/u/.ssh", "/home/u/projects", "/home/u/projects/app", "/home/u/projects/.envoy",
        "/home/u/projects/.env.local", "/home/u/projectsX", "/home/u/Documents", "/home/u/Documents/notes",
    ])

    private func policy(
        _ allowlist: MountAllowlist? = MountAllowlist(allowedRoots: [projects, documents]),
        files: FakeFiles = files, workingDirectory: String = "/home/u"
    ) -> MountPolicy {
        MountPolicy(
            allowlist: allowlist, allowlistPath: Self.allowlistPath, home: "/home/u",
            workingDirectory: workingDirectory, realPath: { files.realPath($0) })
    }

    private func decide(_ spec: String, _ policy: MountPolicy) throws -> MountDecision {
        policy.decide(try MountRequest.parse(spec))
    }

    // MARK: Allowed

    @Test("a path under an allowed root is mounted read-only at /workspace/extra/<subpath>, ~ expanded")
    func allowsAPathUnderARoot() throws {
        let decision = try decide("~/projects/app:code/app", policy())
        #expect(
            decision
                == .allowed(
                    SandboxMount(hostPath: "/home/u/projects/app", subpath: "code/app", readOnly: true), note: nil))
        #expect(decision.mount?.target == "/workspace/extra/code/app")
    }

    @Test("rw is granted when the request asks for it and the root allows it")
    func grantsReadWrite() throws {
        #expect(try decide("/home/u/projects/app:app:rw", policy()).mount?.readOnly == false)
    }

    @Test("rw under a read-only root is mounted read-only, and the note says so")
    func downgradesReadWriteUnderAReadOnlyRoot() throws {
        let decision = try decide("~/Documents/notes:notes:rw", policy())
        #expect(decision.mount?.readOnly == true)
        #expect(
            decision.note
                == "~/Documents/notes:notes:rw: mounted read-only: rw was asked for, but the allowed root ~/Documents "
                + "does not have \"allowReadWrite\": true")
        #expect(try decide("~/Documents/notes:notes:ro", policy()).note == nil)
    }

    @Test("a relative host path is taken from the working directory")
    func resolvesRelativeHostPaths() throws {
        let decision = try decide("app:app", policy(workingDirectory: "/home/u/projects"))
        #expect(decision.mount?.hostPath == "/home/u/projects/app")
    }

    @Test("a root itself can be mounted, and the root / contains everything")
    func mountsARootAndEverythingUnderSlash() throws {
        #expect(try decide("~/projects:p", policy()).mount?.hostPath == "/home/u/projects")
        let everything = policy(MountAllowlist(allowedRoots: [.init(path: "/")]))
        #expect(try decide("/home/u/projectsX:x", everything).mount?.hostPath == "/home/u/projectsX")
    }

    @Test("the most specific root containing the path decides the access")
    func mostSpecificRootDecides() throws {
        let wide = policy(
            MountAllowlist(allowedRoots: [.init(path: "~"), .init(path: "~/projects", allowReadWrite: true)]))
        #expect(try decide("~/projects/app:app:rw", wide).mount?.readOnly == false)
        let narrow = policy(
            MountAllowlist(allowedRoots: [.init(path: "~", allowReadWrite: true), .init(path: "~/projects")]))
        let decision = try decide("~/projects/app:app:rw", narrow)
        #expect(decision.mount?.readOnly == true)
        #expect(decision.note?.contains("the allowed root ~/projects does not") == true)
    }

    @Test("subpaths are normalized, and a name with two dots is only a name")
    func normalizesSubpaths() throws {
        #expect(try decide("~/projects/app:a//b/", policy()).mount?.subpath == "a/b")
        #expect(try decide("~/projects/app:a..b", policy()).mount?.target == "/workspace/extra/a..b")
    }

    // MARK: Refused

    @Test("without an allowlist file every mount is refused; the message shows the file's path and the example")
    func refusesEverythingWithoutAnAllowlist() throws {
        let refusal = try decide("~/projects/app:app", policy(nil)).refusal
        #expect(refusal?.rule == .noAllowlist)
        #expect(
            refusal?.message
                == "Additional sandbox mounts are blocked. Create \(Self.allowlistPath) to enable.\n\nExample:\n"
                + MountAllowlist.example)
        #expect(refusal?.message.contains(#""allowReadWrite": true"#) == true)
        #expect(refusal?.error.code == .sandboxMountRefused)
        #expect(refusal?.error.details == ["rule": "no_allowlist", "mount": "~/projects/app:app"])
    }

    @Test(
        "a subpath that is absolute, climbs out, or holds \\ : or , is refused with the anchor's text",
        arguments: ["/abs", "../up", "a/../b", ".", "./", "a/./b", "a\\b", "a,b"])
    func refusesInvalidSubpaths(subpath: String) throws {
        let decision = policy().decide(MountRequest(hostPath: "~/projects/app", subpath: subpath))
        guard case .refused(let refusal) = decision else {
            Issue.record("\(subpath) was allowed")
            return
        }
        #expect(refusal.rule == .invalidSubpath)
        #expect(
            refusal.message
                == "Invalid sandbox container subpath: \"\(subpath)\". Use a relative path without \"/\" prefix or \"..\"."
        )
        #expect(refusal.error.details["rule"] == "invalid_subpath")
    }

    @Test("a host path that does not exist is refused with the anchor's text")
    func refusesMissingHostPaths() throws {
        let refusal = try decide("~/projects/gone:g", policy()).refusal
        #expect(refusal?.rule == .hostPathMissing)
        #expect(
            refusal?.message
                == "Sandbox mount host path does not exist: ~/projects/gone (expanded: /home/u/projects/gone)")
        #expect(refusal?.error.details == ["rule": "host_path_missing", "mount": "~/projects/gone:g"])
    }

    @Test("a path outside every root is refused, component-wise: /home/u/projectsX is not under /home/u/projects")
    func refusesPathsOutsideTheRoots() throws {
        let refusal = try decide("/home/u/projectsX:x", policy()).refusal
        #expect(refusal?.rule == .outsideAllowedRoots)
        #expect(
            refusal?.message
                == "Sandbox mount rejected: /home/u/projectsX is not under any allowed root. Allowed: /home/u/projects, "
                + "/home/u/Documents")
        #expect(refusal?.error.details["rule"] == "outside_allowed_roots")
    }

    @Test("a root that does not exist contains nothing; no roots at all allow nothing")
    func missingAndNoRootsAllowNothing() throws {
        let gone = policy(MountAllowlist(allowedRoots: [.init(path: "~/gone")]))
        #expect(try decide("~/projects/app:app", gone).refusal?.rule == .outsideAllowedRoots)
        let none = try decide("~/projects/app:app", policy(MountAllowlist(allowedRoots: []))).refusal
        #expect(
            none?.message
                == "Sandbox mount rejected: /home/u/projects/app is not under any allowed root. Allowed: (none)")
    }

    @Test(
        "a pattern blocks a component equal to it or holding it as a whole word, in any case",
        arguments: [
            (".env", ".env", true), (".env", ".env.local", true), (".env", ".envoy", false),
            (".env", "project.env", false), (".env", ".environment", false), ("credentials", "credentials.json", true),
            ("credentials", "aws-credentials.json", true), ("credentials", "credentialsfile", false),
            ("id_rsa", "id_rsa.pub", true), ("id_rsa", "old_id_rsa_backup", true), ("id_rsa", "id_rsa2", false),
            (".ssh", ".SSH", true), ("private_key", "private_keys", false), ("password", "my-password.txt", true),
        ])
    func matchesPatternsByComponent(pattern: String, component: String, blocked: Bool) {
        #expect(MountPolicy.blocks(pattern, component: component) == blocked)
    }

    @Test("a .envoy directory is mounted; .env.local is blocked by .env")
    func envoyIsAllowedAndEnvLocalIsBlocked() throws {
        #expect(try decide("~/projects/.envoy:envoy", policy()).mount?.hostPath == "/home/u/projects/.envoy")
        let refusal = try decide("~/projects/.env.local:env", policy()).refusal
        #expect(refusal?.rule == .blockedPattern(pattern: ".env", component: ".env.local"))
        #expect(
            refusal?.message
                == "Sandbox mount rejected (blocked pattern \".env\"): ~/projects/.env.local (component \".env.local\" of "
                + "the path as given)")
        #expect(
            refusal?.error.details == [
                "rule": "blocked_pattern", "mount": "~/projects/.env.local:env", "pattern": ".env",
            ])
    }

    @Test(
        "blocked patterns are checked on the real path and on the path as given (links into and out of ~/.ssh)",
        arguments: [
            ("/home/u/projects/keys", "/home/u/.ssh", "~/projects/keys:keys", "/home/u/.ssh", "the real path"),
            ("/home/u/.ssh/out", "/home/u/projects/app", "~/.ssh/out:out", "~/.ssh/out", "the path as given"),
        ])
    func blocksByTheRealPathAndThePathAsGiven(link: String, target: String, spec: String, path: String, which: String)
        throws
    {
        var files = Self.files
        files.links[link] = target
        let refusal = try decide(spec, policy(files: files)).refusal
        #expect(refusal?.rule == .blockedPattern(pattern: ".ssh", component: ".ssh"))
        #expect(
            refusal?.message
                == "Sandbox mount rejected (blocked pattern \".ssh\"): \(path) (component \".ssh\" of \(which))")
    }

    @Test("the file's own patterns block too")
    func blocksTheFilesPatterns() throws {
        var files = Self.files
        files.existing.insert("/home/u/projects/app-passwords")
        let allowlist = MountAllowlist(allowedRoots: [Self.projects], blockedPatterns: ["passwords"])
        let refusal = try decide("~/projects/app-passwords:p", policy(allowlist, files: files)).refusal
        #expect(refusal?.rule == .blockedPattern(pattern: "passwords", component: "app-passwords"))
    }

    @Test("in a list, a second mount at the same target is refused")
    func refusesDuplicateTargets() throws {
        let requests = try MountRequest.parseList("~/projects/app:code,~/Documents/notes:code/,~/Documents:docs")
        let decisions = policy().decide(requests)
        #expect(decisions.map { $0.mount?.target } == ["/workspace/extra/code", nil, "/workspace/extra/docs"])
        let refusal = decisions[1].refusal
        #expect(refusal?.rule == .duplicateTarget)
        #expect(
            refusal?.message
                == "Sandbox mount rejected: /workspace/extra/code is already the target of ~/projects/app:code")
        #expect(refusal?.error.details == ["rule": "duplicate_target", "mount": "~/Documents/notes:code/"])
    }

    // MARK: The real file system

    @Test("a symbolic link inside an allowed root that points outside it is refused")
    func refusesALinkOutOfTheRoot() throws {
        let directory = try TemporaryDirectory("mounts")
        let (allowed, outside) = try makeTree(directory)
        try FileManager.default.createSymbolicLink(atPath: allowed + "/escape", withDestinationPath: outside)
        let decision = try decide("\(allowed)/escape:e", realPolicy(directory, roots: [allowed]))
        #expect(decision.refusal?.rule == .outsideAllowedRoots)
        #expect(
            decision.refusal?.message.hasPrefix("Sandbox mount rejected: \(outside) is not under any allowed root")
                == true)
    }

    @Test("a symbolic link outside the roots that points inside one is mounted at its real path; ~ is the home given")
    func allowsALinkIntoTheRoot() throws {
        let directory = try TemporaryDirectory("mounts")
        let (allowed, _) = try makeTree(directory)
        try FileManager.default.createSymbolicLink(
            atPath: directory.appending("into"), withDestinationPath: allowed + "/data")
        let decision = try decide("~/into:data", realPolicy(directory, roots: ["~/allowed"]))
        #expect(decision.mount == SandboxMount(hostPath: allowed + "/data", subpath: "data", readOnly: true))
        #expect(MountPolicy.systemRealPath(directory.appending("nothing-here")) == nil)
    }

    /// `allowed/data` and `outside` in `directory`.
    private func makeTree(_ directory: TemporaryDirectory) throws -> (allowed: String, outside: String) {
        let made = try directory.makeDirectories("allowed/data", "outside")
        return (directory.appending("allowed"), made[1])
    }

    /// The real file system, with `directory` as the home.
    private func realPolicy(_ directory: TemporaryDirectory, roots: [String]) -> MountPolicy {
        MountPolicy(
            allowlist: MountAllowlist(allowedRoots: roots.map { .init(path: $0) }), allowlistPath: Self.allowlistPath,
            home: directory.path, workingDirectory: directory.path)
    }
}

/// Absolute paths that exist, and symbolic links (a path to its target) followed component by component.
private struct FakeFiles: Sendable {
    var existing: Set<String>
    var links: [String: String] = [:]

    func realPath(_ path: String) -> String? {
        var resolved = ""
        for component in path.split(separator: "/") {
            resolved += "/" + component
            if let target = links[resolved] { resolved = target }
        }
        return existing.contains(resolved.isEmpty ? "/" : resolved) ? (resolved.isEmpty ? "/" : resolved) : nil
    }
}

extension MountDecision {
    fileprivate var mount: SandboxMount? {
        guard case .allowed(let mount, _) = self else { return nil }
        return mount
    }

    fileprivate var note: String? {
        guard case .allowed(_, let note) = self else { return nil }
        return note
    }

    fileprivate var refusal: MountRefusal? {
        guard case .refused(let refusal) = self else { return nil }
        return refusal
    }
}
