import Crypto
import Foundation
import OpenWorkJSON
import OpenWorkSidecars
import OpenWorkSystem
import OpenWorkTesting

/// A temporary world for one sidecar test: a sidecar cache, an empty PATH directory, a bundle directory, and
/// helpers to describe assets in a manifest.
struct SidecarFixture {
    let root: TemporaryDirectory
    var sidecarDir: String { root.appending("sidecars") }
    var pathDir: String { root.appending("bin") }
    var bundleDir: String { root.appending("bundle") }

    init() throws {
        root = try TemporaryDirectory("sidecar-tests")
        try root.makeDirectories("bin", "bundle")
    }

    /// The built fake opencode (reports version 1.18.33).
    static let fakeBytes: [UInt8] = {
        guard let data = FileManager.default.contents(atPath: FakeOpenCode.path) else {
            fatalError("fake-opencode is not built at \(FakeOpenCode.path)")
        }
        return [UInt8](data)
    }()

    /// A tiny executable that prints `version` for `--version`.
    static func script(version: String = "1.18.33") -> [UInt8] {
        Array("#!/bin/sh\necho \(version)\n".utf8)
    }

    /// A runnable script that prints `1.18.33`, padded with a comment to `size` bytes (a cheap large asset).
    static func padded(size: Int) -> [UInt8] {
        var bytes = Array("#!/bin/sh\necho 1.18.33\nexit 0\n#".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: size - bytes.count - 1) + [10]
        return bytes
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// A manifest entry for `bytes` served as `asset`.
    static func target(_ asset: String, _ bytes: [UInt8], size: Int? = nil, url: String? = nil) -> JSONValue {
        var members: [String: JSONValue] = [
            "asset": .string(asset), "sha256": .string(sha256(bytes)), "size": .integer(Int64(size ?? bytes.count)),
        ]
        if let url { members["url"] = .string(url) }
        return .object(members)
    }

    static func manifest(_ name: String = "opencode", version: String = "1.18.33", targets: [String: JSONValue])
        -> [UInt8]
    {
        let json: JSONValue = [
            "version": "0.11.165", "generatedAt": "2026-01-28T00:00:00Z",
            "entries": .object([name: ["version": .string(version), "targets": .object(targets)]]),
        ]
        return (try? json.serializedBytes(.pretty)) ?? []
    }

    /// Settings for this fixture; the PATH holds only `bin/`.
    func settings(
        manifest: String, base: String = "http://127.0.0.1:9", source: SidecarSource = .auto,
        allowExternal: Bool = false, bundle: Bool = false
    ) -> SidecarSettings {
        var settings = SidecarSettings(
            directory: sidecarDir, baseURL: base, manifestLocation: manifest, source: source,
            allowExternal: allowExternal, bundleDirectory: bundle ? bundleDir : nil,
            environment: ["PATH": pathDir, "HOME": root.path])
        settings.connectTimeout = .seconds(1)
        settings.manifestTimeout = .seconds(20)
        settings.downloadTimeout = .seconds(120)
        settings.lockTimeout = .seconds(120)
        settings.versionTimeout = .seconds(20)
        return settings
    }

    func write(_ bytes: [UInt8], to path: String, mode: Int = 0o644) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        chmod(path, mode_t(mode))
    }

    /// Every file under the sidecar cache (relative paths), lock files excluded.
    func cacheFiles() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: sidecarDir)
        var files: [String] = []
        while let next = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: sidecarDir + "/" + next, isDirectory: &isDirectory)
            if !isDirectory.boolValue && !next.hasSuffix(".lock") { files.append(next) }
        }
        return files.sorted()
    }

    /// Runs `body` with a resolver; shuts it down afterwards.
    static func resolving<T>(
        _ settings: SidecarSettings, target: String = "linux-x64",
        events: EventLog = EventLog(), _ body: (SidecarResolver) async throws -> T
    ) async throws -> T {
        let resolver = SidecarResolver(
            settings: settings, target: .success(target), onEvent: { type, members in events.append(type, members) })
        do {
            let result = try await body(resolver)
            await resolver.shutdown()
            return result
        } catch {
            await resolver.shutdown()
            throw error
        }
    }
}

/// Events a resolver reported, in order.
final class EventLog: Sendable {
    private let entries = Locked<[(String, [String: JSONValue])]>([])
    func append(_ type: String, _ members: [String: JSONValue]) { entries.withLock { $0.append((type, members)) } }
    var types: [String] { entries.withLock { $0.map(\.0) } }
    func all(_ type: String) -> [[String: JSONValue]] { entries.withLock { $0.filter { $0.0 == type }.map(\.1) } }
}

/// The error a resolution threw, as an ``OpenWorkError``.
func resolutionError(_ body: () async throws -> Void) async -> OpenWorkError? {
    do {
        try await body()
        return nil
    } catch let error as OpenWorkError {
        return error
    } catch {
        return OpenWorkError(.init(rawValue: "unexpected"), "\(error)")
    }
}
