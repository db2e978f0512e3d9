import OpenWorkSandbox
import Testing

@Suite struct ContainerPlanTests {
    func plan(_ backend: SandboxBackend = .docker) -> ContainerPlan {
        var plan = ContainerPlan(
            backend: backend, executable: backend.rawValue, image: "debian:bookworm-slim",
            runID: "1c6f4a52-3d0e-4a8e-9c4b-51d1b0e0a7f2", owner: "/data", workspace: "/home/u/project",
            persist: "/data/sandbox/persist")
        plan.extra = [
            .init(source: "/home/u/docs", target: "/workspace/extra/docs", readOnly: true),
            .init(source: "/home/u/out", target: "/workspace/extra/out", readOnly: false),
        ]
        return plan
    }

    func service(_ plan: ContainerPlan) -> [String] {
        plan.service(
            "opencode", command: ["/opt/opencode", "serve", "--hostname", "0.0.0.0", "--port", "4100"],
            workingDirectory: "/home/u/project", ports: [4100],
            secretNames: ["OPENCODE_SERVER_PASSWORD", "OPENCODE_SERVER_USERNAME"], readOnly: ["/opt/opencode"],
            readWrite: ["/data/opencode-config"])
    }

    @Test func theNameIsTheAnchorsSanitizedRunID() {
        #expect(plan().name == "openwork-1c6f4a52-3d0e-4a8e-9c4b")
        #expect(ContainerPlan.containerName(runID: "a b/c:d") == "openwork-a-b-c-d")
        #expect(ContainerPlan.containerName(runID: "run-") == "openwork-run")
        #expect(ContainerPlan.containerName(runID: "///") == "openwork-run")
        #expect(plan().serviceName("opencode") == "openwork-1c6f4a52-3d0e-4a8e-9c4b-opencode")
    }

    @Test func theHolderPublishesEveryPortOnLoopbackOnlyAndDetaches() {
        #expect(
            plan().holder(ports: [4100, 8787])
                == [
                    "docker", "run", "-d", "--rm", "--name", "openwork-1c6f4a52-3d0e-4a8e-9c4b", "--label",
                    "openwork.owner=/data", "-p", "127.0.0.1:4100:4100", "-p", "127.0.0.1:8787:8787", "--entrypoint",
                    "sleep", "debian:bookworm-slim", "infinity",
                ])
    }

    @Test func aServiceJoinsTheHolderWithItsMountsAndSecretsByName() {
        let argv = service(plan())
        #expect(
            argv == [
                "docker", "run", "--rm", "--init", "--name", "openwork-1c6f4a52-3d0e-4a8e-9c4b-opencode", "--label",
                "openwork.owner=/data", "--network", "container:openwork-1c6f4a52-3d0e-4a8e-9c4b",
                "-v", "/home/u/project:/workspace", "-v", "/data/sandbox/persist:/persist",
                "-v", "/home/u/project:/home/u/project", "-v", "/data/opencode-config:/data/opencode-config",
                "-v", "/opt/opencode:/opt/opencode:ro", "-v", "/home/u/docs:/workspace/extra/docs:ro",
                "-v", "/home/u/out:/workspace/extra/out",
                "--env", "OPENCODE_SERVER_PASSWORD", "--env", "OPENCODE_SERVER_USERNAME", "--env", "HOME=/persist",
                "debian:bookworm-slim", "sh",
                "/persist/openwork-sandbox/openwork-1c6f4a52-3d0e-4a8e-9c4b-opencode/entrypoint.sh", "/home/u/project",
                "/opt/opencode", "serve", "--hostname", "0.0.0.0", "--port", "4100",
            ])
        // Published by the holder only: a service container publishes nothing itself.
        #expect(!argv.contains("-p"))
        #expect(service(plan(.podman)).first == "podman")
        #expect(Array(service(plan(.podman)).dropFirst()) == Array(argv.dropFirst()))
    }

    @Test func appleContainerPublishesPerServiceAndMountsReadOnlyWithMount() {
        let argv = service(plan(.container))
        #expect(!argv.contains("--network"))
        #expect(!argv.contains("--init"))
        #expect(argv[argv.firstIndex(of: "-p")! + 1] == "127.0.0.1:4100:4100")
        #expect(argv.contains("type=bind,source=/opt/opencode,target=/opt/opencode,readonly"))
        #expect(argv.contains("type=bind,source=/home/u/docs,target=/workspace/extra/docs,readonly"))
        #expect(argv.contains("/home/u/out:/workspace/extra/out"))
        #expect(!plan(.container).sharesNetwork)
    }

    @Test func stopLeftoversAndRemoval() {
        #expect(plan().stop("c1", graceSeconds: 5) == ["docker", "stop", "--time", "5", "c1"])
        #expect(plan().stop("c1", graceSeconds: -1) == ["docker", "stop", "--time", "0", "c1"])
        #expect(plan().leftovers == ["docker", "ps", "-a", "-q", "--filter", "label=openwork.owner=/data"])
        #expect(plan().remove(["a", "b"]) == ["docker", "rm", "-f", "a", "b"])
        #expect(plan(.container).leftovers == nil)
    }

    @Test func theEntrypointSetsHomeAndExecsTheCommandInItsDirectory() {
        let paths = plan().entrypoint(for: "openwork-x-opencode")
        #expect(paths.inside == "/persist/openwork-sandbox/openwork-x-opencode/entrypoint.sh")
        #expect(paths.host == "/data/sandbox/persist/openwork-sandbox/openwork-x-opencode/entrypoint.sh")
        #expect(ContainerPlan.entrypointScript.hasPrefix("#!/bin/sh\n"))
        #expect(ContainerPlan.entrypointScript.contains("export HOME=/persist\ncd \"$1\"\nshift\nexec \"$@\"\n"))
    }
}
