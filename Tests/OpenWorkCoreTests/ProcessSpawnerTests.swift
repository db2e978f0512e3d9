import Foundation
import OpenWorkSystem
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Process spawning")
struct ProcessSpawnerTests {
    @Test("a child inherits no descriptor but 0, 1 and 2, even one opened without close-on-exec")
    func noInheritedDescriptors() async throws {
        let leaky = open("/dev/null", O_RDONLY)
        #expect(leaky > 2)
        defer { close(leaky) }
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "test -e /proc/self/fd/\(leaky) && echo leaked || echo closed"],
            environment: ["PATH": "/usr/bin:/bin"])
        var answer = ""
        for await line in child.outputLines {
            answer = line
            break
        }
        #expect(answer == "closed")
        #expect(await child.waitForExit() == .exited(0))
    }

    @Test("a child runs in its own process group")
    func ownProcessGroup() async throws {
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "cut -d' ' -f5 /proc/$$/stat"],
            environment: ["PATH": "/usr/bin:/bin"])
        var group = ""
        for await line in child.outputLines {
            group = line.trimmingCharacters(in: .whitespaces)
            break
        }
        #expect(group == String(child.pid))
        #expect(getpgrp() != child.pid)
    }
}
