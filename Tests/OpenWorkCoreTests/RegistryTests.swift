import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// The registry against real files, in this process.
@Suite("Registry on disk")
struct RegistryTests {
    let root: TemporaryDirectory
    let dataDirectory: DataDirectory
    let events = Locked<[JSONValue]>([])
    let clock = Locked<Int64>(1_000)

    init() throws {
        root = try TemporaryDirectory("registry")
        dataDirectory = DataDirectory(path: root.appending("data/nested"))
        try root.makeDirectories("w/a", "w/b", "w/c")
    }

    func makeRegistry(touchDelay: Duration = .seconds(1)) throws(OpenWorkError) -> Registry {
        var configuration = Registry.Configuration(dataDirectory: dataDirectory, home: root.path) { [clock] in
            clock.withLock { value in
                value += 1
                return value
            }
        }
        configuration.touchDelay = touchDelay
        configuration.onEvent = { [events] event in events.withLock { $0.append(event) } }
        return try Registry(configuration)
    }

    var statePath: String { dataDirectory.path + "/openwork-orchestrator-state.json" }

    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("a new data directory is 0700, the state file 0600, and an add is on disk when it returns")
    func durableAdd() async throws {
        let registry = try makeRegistry()
        let change = try await registry.add(path: "w/a", name: nil, cwd: root.path)
        #expect(change.created)
        #expect(change.workspace.path == root.appending("w/a"))
        #expect(try mode(dataDirectory.path) == 0o700)
        #expect(try mode(root.appending("data")) == 0o700)
        #expect(try mode(statePath) == 0o600)
        let onDisk = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: statePath))))
        #expect(onDisk["version"] == 1)
        #expect(onDisk["activeId"] == .string(change.workspace.id))
        #expect(onDisk["workspaces"]?[0]?["path"] == .string(root.appending("w/a")))
        #expect(!FileManager.default.fileExists(atPath: root.appending("w/a/.openwork")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appending("w/a")).isEmpty)
    }

    @Test("bad paths are refused with invalid_path and a reason, and change nothing")
    func badPaths() async throws {
        let registry = try makeRegistry()
        _ = try await registry.add(path: root.appending("w/a"), name: nil, cwd: nil)
        let before = try Data(contentsOf: URL(fileURLWithPath: statePath))
        _ = FileManager.default.createFile(atPath: root.appending("file"), contents: Data("x".utf8))
        for (path, cwd, reason) in [
            ("w/missing", root.path, "not_found"), ("file", root.path, "not_a_directory"),
            ("relative", nil, "relative_without_cwd"), ("", root.path, nil), ("/a\u{0}b", nil, nil),
        ] as [(String, String?, String?)] {
            do {
                _ = try await registry.add(path: path, name: nil, cwd: cwd)
                Issue.record("accepted \(path)")
            } catch {
                #expect(error.code == .invalidPath, "\(path)")
                if let reason { #expect(error.details["reason"] == .string(reason), "\(path): \(error)") }
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: statePath)) == before)
    }

    @Test("names are trimmed; empty names and control characters are refused")
    func names() async throws {
        let registry = try makeRegistry()
        #expect(
            try await registry.add(path: root.appending("w/a"), name: "  Alpha ", cwd: nil).workspace.name == "Alpha")
        for bad in ["", "   ", "a\nb"] {
            await #expect(throws: OpenWorkError.self) {
                try await registry.add(path: root.appending("w/b"), name: bad, cwd: nil)
            }
        }
    }

    @Test(
        "remote base URLs must be http(s) without credentials",
        arguments: [
            ("http://127.0.0.1:4096", "http://127.0.0.1:4096"), ("https://host.example/", "https://host.example"),
            ("HTTP://[::1]:8080//", "http://[::1]:8080"), ("http://h/base/path/", "http://h/base/path"),
        ]
    )
    func remoteAccepted(input: String, stored: String) async throws {
        let registry = try makeRegistry()
        let change = try await registry.addRemote(baseURL: input, directory: "/srv/proj/", name: nil)
        #expect(change.workspace.baseURL == stored)
        #expect(change.workspace.directory == "/srv/proj")
        #expect(change.workspace.kind == .remote)
    }

    @Test(
        "bad remote base URLs are refused with invalid_url",
        arguments: [
            "ftp://h", "127.0.0.1:4096", "http://", "http://:80", "http://user:pw@h", "http://h?token=x",
            "http://h#x", "http://h:99999", "http://h:port", "", "http://a b",
        ]
    )
    func remoteRefused(input: String) async throws {
        let registry = try makeRegistry()
        do {
            _ = try await registry.addRemote(baseURL: input, directory: nil, name: nil)
            Issue.record("accepted \(input)")
        } catch {
            #expect(error.code == .invalidURL)
        }
        await #expect(throws: OpenWorkError.self) {
            try await registry.addRemote(baseURL: "http://h", directory: "relative", name: nil)
        }
    }

    @Test("switch and remove go through id, name or path and are durable")
    func switchAndRemove() async throws {
        let registry = try makeRegistry()
        let a = try await registry.add(path: "w/a", name: nil, cwd: root.path).workspace
        let b = try await registry.add(path: "w/b", name: "Bee", cwd: root.path).workspace
        #expect(try await registry.activate("Bee", cwd: nil).state.activeID == b.id)
        #expect(try await registry.workspace("./w/a/", cwd: root.path).id == a.id)
        let removed = try await registry.remove(b.id, cwd: nil)
        #expect(removed.workspace.id == b.id)
        #expect(removed.state.activeID == a.id)
        let reopened = try makeRegistry()
        let state = try await reopened.state()
        #expect(state.workspaces.map(\.id) == [a.id])
        #expect(state.activeID == a.id)
        await #expect(throws: OpenWorkError.self) { try await registry.activate("Bee", cwd: nil) }
    }

    @Test("uses are coalesced into one write")
    func coalescedUses() async throws {
        // The delay is far longer than the test: no timer fires by itself, however slow the machine is, and the
        // flush writes whatever is pending — once.
        let registry = try makeRegistry(touchDelay: .seconds(600))
        let a = try await registry.add(path: "w/a", name: nil, cwd: root.path).workspace
        let writesBefore = await registry.writeCount
        for _ in 0..<100 { await registry.noteUse(a.id) }
        #expect(await registry.writeCount == writesBefore, "uses wait for the delay")
        await registry.flushUses()
        #expect(await registry.writeCount == writesBefore + 1)
        let updated = try await registry.workspace(a.id, cwd: nil)
        #expect(updated.lastUsedAt > a.lastUsedAt)
    }

    @Test("a corrupt file is quarantined and replaced by the previous generation, with an event")
    func recoverFromPrevious() async throws {
        let registry = try makeRegistry()
        _ = try await registry.add(path: "w/a", name: nil, cwd: root.path)
        _ = try await registry.add(path: "w/b", name: nil, cwd: root.path)
        try Data("{\"version\":1,\"workspa".utf8).write(to: URL(fileURLWithPath: statePath))
        let fresh = try makeRegistry()
        let state = try await fresh.state()
        #expect(state.workspaces.count == 1, "the previous generation had one workspace")
        let names = try FileManager.default.contentsOfDirectory(atPath: dataDirectory.path)
        #expect(names.contains { $0.hasPrefix("openwork-orchestrator-state.json.corrupt-") })
        #expect(events.withLock { $0.contains { $0["type"] == "registry.recovered" } })
        #expect(try JSONValue(parsing: Array(Data(contentsOf: URL(fileURLWithPath: statePath))))["version"] == 1)
    }

    @Test("a corrupt file with no usable previous generation is refused and left exactly as it was")
    func refuseWithoutPrevious() async throws {
        try FileManager.default.createDirectory(atPath: dataDirectory.path, withIntermediateDirectories: true)
        let garbage = Data("{\"version\":1,\"workspaces\":[{\"id\":".utf8)
        try garbage.write(to: URL(fileURLWithPath: statePath))
        let registry = try makeRegistry()
        do {
            _ = try await registry.add(path: "w/a", name: nil, cwd: root.path)
            Issue.record("wrote over a corrupt file")
        } catch {
            #expect(error.code == .stateCorrupt)
            #expect(error.details["file"] == .string(statePath))
            #expect(error.details["previous"] == .string(statePath + ".prev"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: statePath)) == garbage)
    }

    @Test("a newer version is readable but never modified")
    func newerVersion() async throws {
        try FileManager.default.createDirectory(atPath: dataDirectory.path, withIntermediateDirectories: true)
        let text = #"{"version":2,"activeId":null,"workspaces":[{"id":"ws-1","name":"x","path":"/x"}],"newThing":true}"#
        try Data(text.utf8).write(to: URL(fileURLWithPath: statePath))
        let registry = try makeRegistry()
        #expect(try await registry.state().workspaces.count == 1)
        do {
            _ = try await registry.add(path: "w/a", name: nil, cwd: root.path)
            Issue.record("modified a version 2 file")
        } catch {
            #expect(error.code == .stateVersionUnsupported)
        }
        #expect(try String(contentsOfFile: statePath, encoding: .utf8) == text)
    }

    @Test("every truncation of a valid file: no crash, and either the same registry or a refusal")
    func everyTruncation() async throws {
        let registry = try makeRegistry()
        for name in ["w/a", "w/b", "w/c"] { _ = try await registry.add(path: name, name: nil, cwd: root.path) }
        let valid = try Data(contentsOf: URL(fileURLWithPath: statePath))
        let expected = try await registry.state()
        var refused = 0
        for length in 0..<valid.count {
            try? FileManager.default.removeItem(atPath: statePath + ".prev")
            try valid.prefix(length).write(to: URL(fileURLWithPath: statePath))
            let probe = try makeRegistry()
            do {
                let state = try await probe.state()
                // Only a cut in trailing whitespace still parses, and then it must be the same registry.
                #expect(state == expected || length == 0, "length \(length)")
            } catch {
                #expect(error.code == .stateCorrupt, "length \(length): \(error)")
                refused += 1
            }
        }
        #expect(refused >= valid.count - 2)
    }

    @Test("random byte flips: no crash; either a valid registry or a clear refusal")
    func byteFlips() async throws {
        let registry = try makeRegistry()
        for name in ["w/a", "w/b"] { _ = try await registry.add(path: name, name: nil, cwd: root.path) }
        let valid = try Data(contentsOf: URL(fileURLWithPath: statePath))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var bytes = [UInt8](valid)
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            try? FileManager.default.removeItem(atPath: statePath + ".prev")
            try Data(bytes).write(to: URL(fileURLWithPath: statePath))
            do {
                _ = try await makeRegistry().state()
            } catch {
                #expect([OpenWorkError.Code.stateCorrupt, .stateVersionUnsupported].contains(error.code), "\(error)")
            }
        }
    }

    @Test("stale temp files from a killed writer are removed on the next write")
    func staleTemporaries() async throws {
        let registry = try makeRegistry()
        _ = try await registry.add(path: "w/a", name: nil, cwd: root.path)
        let stale = dataDirectory.path + "/.openwork-orchestrator-state.json.tmp-999999-1"
        _ = FileManager.default.createFile(atPath: stale, contents: Data("partial".utf8))
        _ = try await makeRegistry().add(path: "w/b", name: nil, cwd: root.path)
        #expect(!FileManager.default.fileExists(atPath: stale))
    }
}
