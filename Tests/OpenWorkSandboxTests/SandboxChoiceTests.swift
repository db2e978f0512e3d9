import OpenWorkSandbox
import OpenWorkSystem
import Testing

@Suite struct SandboxChoiceTests {
    let linux = SandboxChoice.Platform(isMacOS: false, isARM64: false)
    let appleSilicon = SandboxChoice.Platform(isMacOS: true, isARM64: true)

    func finder(_ present: [String]) -> (String) -> String? {
        { present.contains($0) ? "/usr/bin/" + $0 : nil }
    }

    @Test func autoPrefersAppleContainerThenDockerPodmanBubblewrap() throws {
        let all = ["container", "docker", "podman", "bwrap"]
        #expect(try SandboxChoice.choose(.auto, platform: appleSilicon, find: finder(all)).backend == .container)
        #expect(try SandboxChoice.choose(.auto, platform: linux, find: finder(all)).backend == .docker)
        let podman = try SandboxChoice.choose(.auto, platform: linux, find: finder(["podman", "bwrap"]))
        #expect(podman.backend == .podman)
        #expect(podman.reason == "auto: podman found at /usr/bin/podman (docker not found)")
        let bwrap = try SandboxChoice.choose(.auto, platform: linux, find: finder(["bwrap"]))
        #expect(bwrap.backend == .bwrap)
        #expect(bwrap.executable == "/usr/bin/bwrap")
        #expect(bwrap.reason == "auto: bwrap found at /usr/bin/bwrap (docker, podman not found)")
    }

    @Test func autoSkipsABackendThatDoesNotWorkAndANamedOneIsRefused() throws {
        let down: (SandboxBackend, String) -> String? = { backend, _ in
            backend == .docker ? "Cannot connect to the Docker daemon" : nil
        }
        let podman = try SandboxChoice.choose(
            .auto, platform: linux, find: finder(["docker", "podman"]), problem: down)
        #expect(podman.backend == .podman)
        #expect(
            podman.reason
                == "auto: podman found at /usr/bin/podman (docker at /usr/bin/docker: Cannot connect to the Docker daemon)"
        )
        let bwrap = try SandboxChoice.choose(.auto, platform: linux, find: finder(["docker", "bwrap"]), problem: down)
        #expect(
            bwrap.reason
                == "auto: bwrap found at /usr/bin/bwrap (podman not found; docker at /usr/bin/docker: Cannot connect to the Docker daemon)"
        )
        let none = try SandboxChoice.choose(.auto, platform: linux, find: finder(["docker"]), problem: down)
        #expect(none.backend == .none)
        #expect(none.reason.contains("podman, bwrap not found; docker at /usr/bin/docker: Cannot connect"))
        do {
            _ = try SandboxChoice.choose(.backend(.docker), platform: linux, find: finder(["docker"]), problem: down)
            Issue.record("a docker without an engine: refused")
        } catch {
            #expect(error.code == .sandboxUnavailable)
            #expect(
                error.message
                    == "--sandbox docker: /usr/bin/docker does not work here: Cannot connect to the Docker daemon")
        }
    }

    @Test func autoWithoutAnyBackendRunsUnsandboxedAndSaysWhy() throws {
        let none = try SandboxChoice.choose(.auto, platform: linux, find: finder([]))
        #expect(none.backend == .none)
        #expect(none.executable == nil)
        #expect(none.reason == "auto: no usable sandbox backend (docker, podman, bwrap not found); running unsandboxed")
        // macOS has no bubblewrap: auto never picks it there.
        let mac = try SandboxChoice.choose(.auto, platform: appleSilicon, find: finder(["bwrap"]))
        #expect(mac.backend == .none)
        #expect(mac.reason.contains("container, docker, podman not found"))
    }

    @Test func aNamedBackendIsUsedOrRefused() throws {
        let docker = try SandboxChoice.choose(.backend(.docker), platform: linux, find: finder(["docker", "bwrap"]))
        #expect(docker.backend == .docker)
        #expect(docker.reason == "asked for (--sandbox docker)")
        #expect(try SandboxChoice.choose(.backend(.none), platform: linux, find: finder(["docker"])).backend == .none)
        #expect(throws: OpenWorkError.self) {
            try SandboxChoice.choose(.backend(.podman), platform: linux, find: finder([]))
        }
        do {
            _ = try SandboxChoice.choose(.backend(.bwrap), platform: linux, find: finder([]))
            Issue.record("no bwrap: refused")
        } catch {
            #expect(error.code == .sandboxUnavailable)
            #expect(error.message == "--sandbox bwrap: no bwrap on PATH (Debian: apt-get install bubblewrap)")
        }
    }

    @Test func appleContainerIsRefusedOffAppleSiliconAndBubblewrapOnMacOS() {
        for platform in [linux, SandboxChoice.Platform(isMacOS: true, isARM64: false)] {
            do {
                _ = try SandboxChoice.choose(.backend(.container), platform: platform, find: finder(["container"]))
                Issue.record("container off Apple silicon: refused")
            } catch {
                #expect(error.code == .sandboxUnavailable)
                #expect(error.message.contains("macOS on Apple silicon only"))
            }
        }
        #expect(throws: OpenWorkError.self) {
            try SandboxChoice.choose(.backend(.bwrap), platform: appleSilicon, find: finder(["bwrap"]))
        }
    }

    @Test func anUnknownBackendIsAnInvalidSettingOfTheSettings() {
        for (flag, environment) in [("firejail", [:]), (nil, ["OPENWORK_SANDBOX": "Docker"])]
            as [(String?, [String: String])]
        {
            do {
                _ = try SandboxSettings.resolve(
                    sandbox: flag, image: nil, persistDirectory: nil, mounts: [], environment: environment)
                Issue.record("unknown backend: refused")
            } catch {
                #expect(error.code == .invalidSetting)
                #expect(error.message.contains("none, auto, bwrap, docker, podman, container"))
            }
        }
        #expect(throws: Never.self) { try SandboxRequest(parsing: "auto") }
        #expect(SandboxRequest.backend(.bwrap).name == "bwrap")
        #expect(SandboxRequest.auto.name == "auto")
    }

    @Test func settingsTakeTheFlagThenTheVariableThenTheDefault() throws {
        let environment = [
            "OPENWORK_SANDBOX": "bwrap", "OPENWORK_SANDBOX_IMAGE": "alpine:3",
            "OPENWORK_SANDBOX_MOUNTS": "/a:x, /b:y:rw\n/c:z",
            "OPENWORK_SANDBOX_PERSIST_DIR": "/p", "OPENWORK_SANDBOX_MOUNT_ALLOWLIST": "/allow.json",
        ]
        let fromEnvironment = try SandboxSettings.resolve(
            sandbox: nil, image: nil, persistDirectory: nil, mounts: [], environment: environment)
        #expect(fromEnvironment.requested == .backend(.bwrap))
        #expect(fromEnvironment.image == "alpine:3")
        #expect(fromEnvironment.mounts == ["/a:x, /b:y:rw\n/c:z"], "one list, split by MountRequest.parseList")
        let anchorName = try SandboxSettings.resolve(
            sandbox: nil, image: nil, persistDirectory: nil, mounts: [],
            environment: ["OPENWORK_SANDBOX_MOUNT": "/e:v", "OPENWORK_SANDBOX_MOUNTS": "/f:u"])
        #expect(anchorName.mounts == ["/e:v"], "the anchor's OPENWORK_SANDBOX_MOUNT first")
        #expect(fromEnvironment.persistDirectory == "/p")
        #expect(fromEnvironment.allowlistPath == "/allow.json")
        let fromFlags = try SandboxSettings.resolve(
            sandbox: "docker", image: "debian:trixie", persistDirectory: "/q", mounts: ["/d:w"],
            environment: environment)
        #expect(fromFlags.requested == .backend(.docker))
        #expect(fromFlags.image == "debian:trixie")
        #expect(fromFlags.mounts == ["/d:w"])
        #expect(fromFlags.persistDirectory == "/q")
        let defaults = try SandboxSettings.resolve(
            sandbox: nil, image: nil, persistDirectory: nil, mounts: [], environment: [:])
        #expect(defaults == SandboxSettings())
        #expect(defaults.requested == .backend(.none))
        #expect(defaults.image == "debian:bookworm-slim")
    }
}
