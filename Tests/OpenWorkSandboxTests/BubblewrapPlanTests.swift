import Foundation
import OpenWorkSandbox
import OpenWorkTesting
import Testing

@Suite struct BubblewrapPlanTests {
    func plan(terminateReset: Bool = true) -> BubblewrapPlan {
        var plan = BubblewrapPlan(
            bwrap: "/usr/bin/bwrap", terminateReset: terminateReset,
            root: [.bind("/usr"), .bind("/etc"), .symlink("/bin", target: "usr/bin"), .bind("/lib64")],
            workspace: "/home/u/project", persist: "/data/sandbox/persist")
        plan.readOnly = ["/opt/bin/opencode", "/opt/lib"]
        plan.readWrite = ["/data/opencode-config"]
        plan.extra = [.init(source: "/home/u/docs", target: "/workspace/extra/docs", readOnly: true)]
        return plan
    }

    /// The pairs (`--flag a b`) of an argv, for order-free membership checks.
    func binds(_ argv: [String], _ flag: String) -> [[String]] {
        argv.indices.filter { argv[$0] == flag }.map { Array(argv[($0 + 1)...($0 + 2)]) }
    }

    @Test func theServiceRunsWithTermIgnoredByBubblewrapAndRestoredForItself() {
        let argv = plan().command("/opt/bin/opencode", ["serve", "--port", "0"], workingDirectory: nil)
        #expect(Array(argv.prefix(3)) == ["/usr/bin/env", "--ignore-signal=TERM", "/usr/bin/bwrap"])
        let separator = argv.firstIndex(of: "--")!
        #expect(
            Array(argv[separator...])
                == ["--", "/usr/bin/env", "--default-signal=TERM", "/opt/bin/opencode", "serve", "--port", "0"])
        let plain = plan(terminateReset: false).command("/opt/bin/opencode", ["serve"], workingDirectory: nil)
        #expect(plain.first == "/usr/bin/bwrap")
        #expect(Array(plain.suffix(3)) == ["--", "/opt/bin/opencode", "serve"])
    }

    @Test func namespacesCapabilitiesAndLifetime() {
        let argv = plan().command("/x", [], workingDirectory: nil)
        for flag in ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent"] {
            #expect(argv.contains(flag))
        }
        #expect(argv[argv.firstIndex(of: "--cap-drop")! + 1] == "ALL")
        // The network stays the host's (opencode must be reachable on 127.0.0.1); no new session (the
        // supervisor's signals to the process group must reach the service).
        #expect(!argv.contains("--unshare-net"))
        #expect(!argv.contains("--unshare-all"))
        #expect(!argv.contains("--new-session"))
    }

    @Test func theFilesystemHoldsOnlyWhatIsListed() {
        let argv = plan().command("/opt/bin/opencode", [], workingDirectory: nil)
        #expect(
            binds(argv, "--ro-bind") == [
                ["/usr", "/usr"], ["/etc", "/etc"], ["/lib64", "/lib64"], ["/opt/bin/opencode", "/opt/bin/opencode"],
                ["/opt/lib", "/opt/lib"], ["/home/u/docs", "/workspace/extra/docs"],
            ])
        #expect(binds(argv, "--symlink") == [["usr/bin", "/bin"]])
        #expect(
            binds(argv, "--bind") == [
                ["/home/u/project", "/workspace"], ["/home/u/project", "/home/u/project"],
                ["/data/sandbox/persist", "/persist"], ["/data/opencode-config", "/data/opencode-config"],
            ])
        #expect(argv.contains("--tmpfs"))
        #expect(argv[argv.firstIndex(of: "--tmpfs")! + 1] == "/tmp")
        #expect(argv[argv.firstIndex(of: "--proc")! + 1] == "/proc")
        #expect(argv[argv.firstIndex(of: "--dev")! + 1] == "/dev")
        #expect(binds(argv, "--setenv") == [["HOME", "/persist"]])
        #expect(argv[argv.firstIndex(of: "--chdir")! + 1] == "/home/u/project")
        // Nothing of the user's home or the data directory but what is listed.
        #expect(!argv.contains { $0 == "/home/u" || $0 == "/data" })
    }

    @Test func aWritablePathIsNotAlsoBoundReadOnlyAndTheWorkingDirectoryIsKept() {
        var plan = plan()
        plan.readOnly.append("/data/opencode-config")
        let argv = plan.command("/x", [], workingDirectory: "/home/u/project/sub")
        #expect(!binds(argv, "--ro-bind").contains(["/data/opencode-config", "/data/opencode-config"]))
        #expect(argv[argv.firstIndex(of: "--chdir")! + 1] == "/home/u/project/sub")
        var atWorkspace = plan
        atWorkspace.workspace = "/workspace"
        #expect(
            binds(atWorkspace.command("/x", [], workingDirectory: nil), "--bind").first == ["/workspace", "/workspace"])
        #expect(
            binds(atWorkspace.command("/x", [], workingDirectory: nil), "--bind").filter { $0[1] == "/workspace" }.count
                == 1)
    }

    @Test func theRootReproducesLinksAsLinksAndSkipsWhatIsMissing() {
        let links = ["/bin": "usr/bin", "/lib": "usr/lib", "/lib64": "usr/lib64", "/sbin": "usr/sbin"]
        let merged = BubblewrapPlan.root(exists: { links[$0] != nil }, symlinkTarget: { links[$0] })
        #expect(
            merged == [
                .bind("/usr"), .bind("/etc"), .symlink("/bin", target: "usr/bin"),
                .symlink("/sbin", target: "usr/sbin"),
                .symlink("/lib", target: "usr/lib"), .symlink("/lib64", target: "usr/lib64"),
            ])
        let split = BubblewrapPlan.root(exists: { ["/bin", "/lib"].contains($0) }, symlinkTarget: { _ in nil })
        #expect(split == [.bind("/usr"), .bind("/etc"), .bind("/bin"), .bind("/lib")])
    }

    @Test func theRunPathOfASwiftBinaryNamesItsRuntime() {
        let fake = BuiltProducts.path(of: "fake-opencode")
        let paths = ExecutableLibraries.runPath(of: fake)
        let directory = String(fake[..<fake.lastIndex(of: "/")!])
        // A debug build links the toolchain's runtime: an absolute run path, then $ORIGIN.
        #expect(paths.contains { $0.hasSuffix("/lib/swift/linux") } || paths.contains(directory))
        #expect(!paths.contains { $0.contains("$ORIGIN") })
        #expect(ExecutableLibraries.runPath(of: "/etc/hostname").isEmpty)
        #expect(ExecutableLibraries.runPath(of: "/no/such/file").isEmpty)
    }
}

/// The run path of a minimal ELF file written here, and what a sandbox binds read-only for it.
@Suite struct ExecutableLibrariesTests {
    /// A 64-bit little-endian ELF with one loadable segment and a dynamic section naming `runPath` (`DT_RUNPATH`),
    /// its string table the last bytes of the file.
    static func elf(runPath: String) -> [UInt8] {
        func bytes(_ value: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8((value >> (8 * $0)) & 0xff) } }
        let base: UInt64 = 0x40_0000
        let dynamicOffset = 64 + 2 * 56
        let stringsOffset = dynamicOffset + 3 * 16
        let strings: [UInt8] = [0] + Array(runPath.utf8) + [0]
        let size = UInt64(stringsOffset + strings.count)
        var header = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1] + [UInt8](repeating: 0, count: 9)
        header += bytes(2, 2) + bytes(0x3E, 2) + bytes(1, 4) + bytes(0, 8) + bytes(64, 8) + bytes(0, 8)
        header += bytes(0, 4) + bytes(64, 2) + bytes(56, 2) + bytes(2, 2) + bytes(0, 2) + bytes(0, 2) + bytes(0, 2)
        func segment(_ type: UInt64, offset: Int, size: UInt64) -> [UInt8] {
            bytes(type, 4) + bytes(4, 4) + bytes(UInt64(offset), 8) + bytes(base + UInt64(offset), 8)
                + bytes(base + UInt64(offset), 8) + bytes(size, 8) + bytes(size, 8) + bytes(8, 8)
        }
        let load = segment(1, offset: 0, size: size)
        let dynamic = segment(2, offset: dynamicOffset, size: 48)
        let entries = bytes(5, 8) + bytes(base + UInt64(stringsOffset), 8) + bytes(29, 8) + bytes(1, 8) + bytes(0, 16)
        return header + load + dynamic + entries + strings
    }

    @Test func theRunPathIsReadWithOriginReplacedAndMissingDirectoriesAreNeitherBoundNorMade() throws {
        let directory = try TemporaryDirectory("elf")
        let libraries = try directory.makeDirectories("lib")[0]
        let missing = directory.appending("missing/lib")
        let binary = directory.appending("tool")
        FileManager.default.createFile(
            atPath: binary, contents: Data(Self.elf(runPath: "\(missing):\(libraries):$ORIGIN")))
        #expect(ExecutableLibraries.runPath(of: binary) == [missing, libraries, directory.path])
        let real = { (path: String) in MountPolicy.systemRealPath(path) ?? path }
        #expect(
            ExecutableLibraries.readOnlyPaths(for: binary) == [real(binary), real(libraries), real(directory.path)])
        #expect(!FileManager.default.fileExists(atPath: missing), "a run-path directory is never created")
    }
}
