import Foundation
import OpenWorkJSON
import OpenWorkSidecars
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// `openwork sidecar list|resolve` as a process: `--json` output, exit codes, and a download killed midway.
@Suite(.serialized) struct SidecarCLITests {
    static var openwork: String { BuiltProducts.path(of: "openwork") }
    let asset = "opencode-linux-x64"

    func environment(_ fixture: SidecarFixture) -> [String: String] {
        ["PATH": fixture.pathDir, "HOME": fixture.root.path]
    }

    func run(_ arguments: [String], _ fixture: SidecarFixture) async throws -> (JSONValue, TestProcess.Exit) {
        let process = try TestProcess(Self.openwork, arguments, environment: environment(fixture))
        let output = try await process.readRemainingOutput(within: .seconds(60))
        let exit = try await process.waitForExit(within: .seconds(60))
        return (try JSONValue(parsing: output.trimmingCharacters(in: .whitespacesAndNewlines)), exit)
    }

    @Test func listAndResolveWithJSON() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.script()
        try await AssetServer.with { server in
            server.serve("/\(asset)", bytes)
            server.serve(
                "/manifest.json",
                SidecarFixture.manifest(targets: [try hostTarget(): SidecarFixture.target(asset, bytes)]))
            let common = [
                "--data-dir", fixture.root.appending("data"), "--sidecar-manifest", server.baseURL + "/manifest.json",
                "--sidecar-base-url", server.baseURL, "--json",
            ]
            let (before, listed) = try await run(["sidecar", "list"] + common, fixture)
            #expect(listed == .exited(0))
            let opencode = before["sidecars"]?.arrayValue?.first { $0["name"] == "opencode" }
            #expect(opencode?["from"] == "downloaded" && opencode?["wouldDownload"] == true)
            let (resolved, exit) = try await run(["sidecar", "resolve", "opencode"] + common, fixture)
            #expect(exit == .exited(0))
            #expect(resolved["ok"] == true && resolved["verified"] == true && resolved["source"] == "downloaded")
            #expect(resolved["path"]?.stringValue?.hasPrefix(fixture.root.appending("data/sidecars/1.18.33/")) == true)
            let (after, _) = try await run(["sidecar", "list"] + common, fixture)
            let cached = after["sidecars"]?.arrayValue?.first { $0["name"] == "opencode" }
            #expect(cached?["verified"] == true && cached?["wouldDownload"] == false)
            // Refusals are structured: flipped byte → sidecar_integrity, exit 1.
            var flipped = bytes
            flipped[3] ^= 0x20
            server.serve("/\(asset)", flipped)
            let (refused, failed) = try await run(
                ["sidecar", "resolve", "opencode", "--sidecar-dir", fixture.root.appending("other")] + common, fixture)
            #expect(failed == .exited(1))
            #expect(refused["ok"] == false && refused["kind"] == "sidecar_integrity")
        }
    }

    @Test func aKilledDownloadLeavesNothingRunnableAndTheNextRunStartsClean() async throws {
        let fixture = try SidecarFixture()
        // A runnable script padded to 1 MiB, trickled at ~800 KiB/s.
        let bytes = SidecarFixture.padded(size: 1 << 20)
        try await AssetServer.with { server in
            server.serve("/\(asset)", bytes)
            server.trickle("/\(asset)")
            let target = try hostTarget()
            server.serve(
                "/manifest.json", SidecarFixture.manifest(targets: [target: SidecarFixture.target(asset, bytes)]))
            let arguments = [
                "sidecar", "resolve", "opencode", "--data-dir", fixture.root.appending("data"), "--sidecar-manifest",
                server.baseURL + "/manifest.json", "--sidecar-base-url", server.baseURL, "--json",
            ]
            let directory = fixture.root.appending("data/sidecars/1.18.33/\(target)")
            func partials() -> [String] {
                ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
                    $0.contains(".partial-")
                }
            }
            let process = try TestProcess(Self.openwork, arguments, environment: environment(fixture))
            let started = await FakeOpenCode.eventually(within: .seconds(30)) {
                partials().contains { name in
                    ((try? FileManager.default.attributesOfItem(atPath: directory + "/" + name))?[.size] as? Int ?? 0)
                        > 0
                }
            }
            #expect(started)
            process.signalGroup(SIGKILL)
            _ = try await process.waitForExit(within: .seconds(10))
            let left = partials()
            #expect(left.count == 1)
            for name in left {
                #expect(access(directory + "/" + name, X_OK) != 0, "a partial download must never be executable")
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/" + asset))
            let (resolved, exit) = try await run(arguments, fixture)
            #expect(exit == .exited(0))
            #expect(resolved["verified"] == true && resolved["downloaded"] == true)
            #expect(partials().isEmpty)
        }
    }

    @Test func tenProcessesResolvingAtOnceShareOneDownload() async throws {
        let fixture = try SidecarFixture()
        let bytes = SidecarFixture.padded(size: 512 << 10)
        try await AssetServer.with { server in
            server.serve("/\(asset)", bytes)
            server.trickle("/\(asset)")
            server.serve(
                "/manifest.json",
                SidecarFixture.manifest(targets: [try hostTarget(): SidecarFixture.target(asset, bytes)]))
            let arguments = [
                "sidecar", "resolve", "opencode", "--data-dir", fixture.root.appending("data"), "--sidecar-manifest",
                server.baseURL + "/manifest.json", "--sidecar-base-url", server.baseURL, "--json",
            ]
            let results = try await withThrowingTaskGroup(of: (JSONValue, TestProcess.Exit).self) { group in
                for _ in 0..<10 { group.addTask { try await run(arguments, fixture) } }
                var results: [(JSONValue, TestProcess.Exit)] = []
                for try await result in group { results.append(result) }
                return results
            }
            #expect(results.allSatisfy { $0.1 == .exited(0) && $0.0["verified"] == true })
            #expect(Set(results.compactMap { $0.0["path"]?.stringValue }).count == 1)
            #expect(results.filter { $0.0["downloaded"] == true }.count == 1)
            #expect(server.hitCount("/\(asset)") == 1)
            let directory = try #require(results.first?.0["path"]?.stringValue).split(separator: "/").dropLast()
                .joined(separator: "/")
            let files = try FileManager.default.contentsOfDirectory(atPath: "/" + directory)
            #expect(files.filter { !$0.hasSuffix(".lock") } == [asset], "no partial files: \(files)")
        }
    }

    func hostTarget() throws -> String {
        try HostTarget.current().get()
    }
}
