public import AsyncHTTPClient
import Foundation
public import OpenWorkJSON
public import OpenWorkSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds, downloads, verifies and version-checks sidecar binaries the way rustup and Homebrew do: nothing is
/// handed out unless it matches a pinned SHA-256, except an external binary the user allowed.
///
/// The decisions come from ``SidecarPolicy``; this actor gathers the facts (bundle, manifest, PATH), performs
/// the chosen step and reports events through `onEvent` (`sidecar.progress`, `sidecar.resolved`,
/// `sidecar.version_mismatch`).
public actor SidecarResolver {
    public typealias EventSink = @Sendable (_ type: String, _ members: [String: JSONValue]) -> Void

    public nonisolated let settings: SidecarSettings
    private let http: HTTPClient
    private let ownsHTTP: Bool
    private let onEvent: EventSink
    private var manifest: SidecarManifest?
    /// The last failed manifest load, reused for ``manifestRetryDelay`` so one command (a `sidecar list` asks
    /// for every sidecar) waits for an unreachable host once, not once per sidecar.
    private var manifestFailure: (error: OpenWorkError, at: ContinuousClock.Instant)?
    static let manifestRetryDelay: Duration = .seconds(10)
    /// Overrides the host target (tests).
    private let target: Result<String, HostTarget.UnsupportedHost>

    public init(
        settings: SidecarSettings, http: HTTPClient? = nil, target: Result<String, HostTarget.UnsupportedHost>? = nil,
        onEvent: @escaping EventSink = { _, _ in }
    ) {
        self.settings = settings
        self.http = http ?? SidecarDownloader.makeHTTPClient(connectTimeout: settings.connectTimeout)
        self.ownsHTTP = http == nil
        self.onEvent = onEvent
        self.target = target ?? HostTarget.current()
    }

    /// Shuts down the HTTP client it created. Idempotent enough: call once when done.
    public func shutdown() async {
        if ownsHTTP { try? await http.shutdown() }
    }

    // MARK: Resolve

    /// The binary to run for `name`, installed and verified as the source requires.
    public func resolve(_ name: SidecarName, source: SidecarSource? = nil) async throws(OpenWorkError)
        -> SidecarResolution
    {
        let step: SidecarPolicy.Step
        let skipped: [String]
        (step, skipped) = try await decide(name, source: source)
        var resolution: SidecarResolution
        switch step {
        case .bundled(let path, let version, let sha256):
            guard let actual = await SidecarFiles.hash(path) else {
                throw OpenWorkError(
                    .sidecarNotFound, "cannot read the bundled \(name.rawValue) at \(path)",
                    details: ["path": .string(path)])
            }
            guard actual.hash == sha256 else {
                throw OpenWorkError(
                    .sidecarIntegrity,
                    "the bundled \(name.rawValue) at \(path) has SHA-256 \(actual.hash), versions.json pins \(sha256); "
                        + "reinstall openwork or choose another source",
                    details: ["path": .string(path), "expectedSha256": .string(sha256), "sha256": .string(actual.hash)])
            }
            resolution = SidecarResolution(
                name: name, path: path, source: .bundled, expectedVersion: version, verified: true,
                sha256: actual.hash, downloaded: false, skipped: skipped, warnings: [])
        case .download(let version, let target, let asset):
            let (path, downloaded, hash) = try await install(name, version: version, target: target, asset: asset)
            resolution = SidecarResolution(
                name: name, path: path, source: .downloaded, expectedVersion: version, verified: true,
                sha256: hash, downloaded: downloaded, skipped: skipped, warnings: [])
        case .external(let path, let origin):
            guard Executable.isExecutableFile(path) else {
                throw OpenWorkError(
                    .sidecarNotFound,
                    "the external \(name.rawValue) \(path) (\(origin == "explicit" ? name.binFlag : "PATH")) is not an executable file",
                    details: ["path": .string(path), "sidecar": .string(name.rawValue)])
            }
            resolution = SidecarResolution(
                name: name, path: path, source: .external, expectedVersion: bundledVersion(name),
                verified: false, downloaded: false, origin: origin, skipped: skipped, warnings: [])
        }
        try await checkVersion(&resolution)
        onEvent("sidecar.resolved", resolution.json.objectValue ?? [:])
        return resolution
    }

    /// Runs the policy, reading the manifest when it asks for it.
    private func decide(_ name: SidecarName, source: SidecarSource?) async throws(OpenWorkError)
        -> (SidecarPolicy.Step, [String])
    {
        var facts = self.facts(name, source: source)
        while true {
            switch SidecarPolicy.decide(facts) {
            case .use(let step, let skipped): return (step, skipped)
            case .refuse(let error): throw error
            case .loadManifest:
                do {
                    facts.manifest = .loaded(try await loadManifest())
                } catch {
                    facts.manifest = .failed(error)
                }
            }
        }
    }

    private func facts(_ name: SidecarName, source: SidecarSource?) -> SidecarFacts {
        SidecarFacts(
            name: name, source: source ?? settings.source(for: name), allowExternal: settings.allowExternal,
            explicitPath: settings.explicitPaths[name], bundle: bundle(name),
            manifest: manifest.map { .loaded($0) } ?? .notLoaded, manifestLocation: settings.manifestLocation,
            target: target, pathCandidate: Executable.onPath(name.rawValue, environment: settings.environment))
    }

    private func loadManifest() async throws(OpenWorkError) -> SidecarManifest {
        if let manifest { return manifest }
        if let manifestFailure, ContinuousClock.now - manifestFailure.at < Self.manifestRetryDelay {
            throw manifestFailure.error
        }
        do {
            let loaded = try await SidecarManifest.load(
                settings.manifestLocation, http: http, timeout: settings.manifestTimeout)
            manifest = loaded
            manifestFailure = nil
            return loaded
        } catch {
            // A host is not asked again so soon; a manifest file may be fixed the next moment, and reading it
            // again costs nothing.
            if settings.manifestLocation.hasPrefix("http://") || settings.manifestLocation.hasPrefix("https://") {
                manifestFailure = (error, ContinuousClock.now)
            }
            throw error
        }
    }

    // MARK: Facts

    /// The `versions.json` entry for `name` next to the executable, and its binary.
    private func bundle(_ name: SidecarName) -> SidecarFacts.Bundle {
        let (version, sha, reason) = bundleEntry(name)
        guard let directory = settings.bundleDirectory, let version, let sha else { return .absent(reason) }
        let file = directory + "/versions.json"
        let binary = directory + "/" + name.rawValue
        guard access(binary, F_OK) == 0 else {
            return .absent("\(file) lists \(name.rawValue) \(version) but \(binary) is missing")
        }
        return .present(path: binary, version: version, sha256: sha)
    }

    /// The `versions.json` entry: version and SHA-256, or why there is none.
    private func bundleEntry(_ name: SidecarName) -> (version: String?, sha256: String?, reason: String) {
        guard let directory = settings.bundleDirectory else { return (nil, nil, "no bundle directory") }
        let file = directory + "/versions.json"
        guard let data = FileManager.default.contents(atPath: file) else { return (nil, nil, "no \(file)") }
        guard let json = try? JSONValue(parsing: [UInt8](data)), let entry = json[name.rawValue] else {
            return (nil, nil, "\(file) has no entry for \(name.rawValue)")
        }
        guard let version = entry["version"]?.stringValue, let sha = entry["sha256"]?.stringValue?.lowercased(),
            SidecarManifest.isSHA256(sha)
        else { return (nil, nil, "\(file) has no valid version and sha256 for \(name.rawValue)") }
        return (version, sha, "")
    }

    /// The version the bundle pins for `name` (also when its binary is not bundled): what an external binary
    /// is compared with.
    private func bundledVersion(_ name: SidecarName) -> String? { bundleEntry(name).version }

    // MARK: Install

    /// `<sidecar-dir>/<version>/<target>/<asset>` (and for an archive the extracted `<name>` beside it),
    /// verified; downloaded under the asset's lock when missing or not matching.
    private func install(_ name: SidecarName, version: String, target: String, asset: SidecarManifest.Asset)
        async throws(OpenWorkError) -> (path: String, downloaded: Bool, sha256: String)
    {
        let directory = "\(settings.directory)/\(version)/\(target)"
        try SidecarFiles.makeDirectories(directory)
        let lockPath = "\(directory)/.\(asset.asset).lock"
        guard let lock = try await FileLock.lock(lockPath, timeout: settings.lockTimeout) else {
            throw OpenWorkError(
                .sidecarDownloadFailed,
                "another openwork is still installing this sidecar (lock \(lockPath) held for over \(settings.lockTimeout))",
                details: ["lock": .string(lockPath)])
        }
        defer { lock.release() }
        _ = SidecarFiles.removeStale(in: directory, asset: asset.asset)
        let final = "\(directory)/\(asset.asset)"
        let archive = ArchiveExtractor.kind(of: asset.asset)
        let runnable = archive == nil ? final : "\(directory)/\(name.rawValue)"
        var downloaded = false
        if let cached = await SidecarFiles.hash(final), cached.hash == asset.sha256, cached.size == asset.size {
            // A verified copy: nothing to fetch.
        } else {
            if access(final, F_OK) == 0 {
                unlink(final)
                onEvent(
                    "sidecar.cache_replaced",
                    ["name": .string(name.rawValue), "path": .string(final), "reason": "size or SHA-256 mismatch"])
            }
            let temporary = "\(directory)/.\(asset.asset).partial-\(SidecarFiles.randomSuffix())"
            let url = SidecarManifest.downloadURL(asset, base: settings.baseURL)
            let progress = ProgressThrottle(name: name.rawValue, url: url, sink: onEvent)
            try await SidecarDownloader.download(
                url, to: temporary, expecting: asset, http: http, timeout: settings.downloadTimeout,
                progress: { progress.report($0) })
            if archive == nil { chmod(temporary, 0o755) }
            guard rename(temporary, final) == 0 else {
                let problem = String(cString: strerror(errno))
                unlink(temporary)
                throw OpenWorkError(.sidecarDownloadFailed, "cannot move the download into \(final): \(problem)")
            }
            DurableFile.syncDirectory(directory)
            downloaded = true
        }
        guard let archive else { return (final, downloaded, asset.sha256) }
        return (
            try await extract(final, kind: archive, name: name, to: runnable, force: downloaded), downloaded,
            asset.sha256
        )
    }

    /// The binary inside a verified archive, extracted beside it. Its hash is recorded (`.<name>.sha256`) so a
    /// later use can check it without reading the archive again; a mismatch extracts it again.
    private func extract(
        _ archive: String, kind: ArchiveExtractor.Kind, name: SidecarName, to runnable: String, force: Bool
    ) async throws(OpenWorkError) -> String {
        let directory = String(runnable[..<(runnable.lastIndex(of: "/") ?? runnable.endIndex)])
        let record = "\(directory)/.\(name.rawValue).sha256"
        if !force, let recorded = FileManager.default.contents(atPath: record),
            let actual = await SidecarFiles.hash(runnable),
            String(decoding: recorded, as: UTF8.self) == actual.hash, Executable.isExecutableFile(runnable)
        {
            return runnable
        }
        let assetName = String(archive[archive.index(after: archive.lastIndex(of: "/") ?? archive.startIndex)...])
        let temporary = "\(directory)/.\(assetName).extract-\(SidecarFiles.randomSuffix())"
        let extracted = await SidecarFiles.offload {
            Result { () throws(OpenWorkError) -> String? in
                try ArchiveExtractor.extract(archive, kind: kind, member: name.rawValue, to: temporary)
                return SidecarFiles.sha256(of: temporary)?.hash
            }
        }
        guard let hash = try extracted.get() else {
            unlink(temporary)
            throw OpenWorkError(.sidecarDownloadFailed, "cannot read the extracted \(temporary)")
        }
        chmod(temporary, 0o755)
        try DurableFile.write(Array(hash.utf8), to: record)
        guard rename(temporary, runnable) == 0 else {
            unlink(temporary)
            throw OpenWorkError(.sidecarDownloadFailed, "cannot move the extracted binary to \(runnable)")
        }
        DurableFile.syncDirectory(directory)
        return runnable
    }

    // MARK: Version

    /// `<binary> --version` (from a temporary directory, within the version timeout) against the pinned version:
    /// a mismatch is an error, except for an external binary (a `sidecar.version_mismatch` event and a warning).
    private func checkVersion(_ resolution: inout SidecarResolution) async throws(OpenWorkError) {
        let text: String
        do {
            text = try await Self.probeVersion(
                resolution.path, environment: settings.environment, timeout: settings.versionTimeout)
        } catch {
            // An external binary is the user's: a failing probe is reported, and whoever runs it decides.
            guard resolution.source == .external else { throw error }
            resolution.warnings.append(error.message)
            return
        }
        resolution.version = text
        guard let expected = resolution.expectedVersion, !Self.versionMatches(text, expected) else { return }
        let message =
            "\(resolution.name.rawValue) at \(resolution.path) reports version \(text.isEmpty ? "(nothing)" : text), expected \(expected)"
        if resolution.source == .external {
            resolution.warnings.append(message)
            onEvent(
                "sidecar.version_mismatch",
                [
                    "name": .string(resolution.name.rawValue), "path": .string(resolution.path),
                    "version": .string(text), "expectedVersion": .string(expected),
                ])
            return
        }
        throw OpenWorkError(
            .sidecarVersionMismatch, message,
            details: ["path": .string(resolution.path), "version": .string(text), "expectedVersion": .string(expected)])
    }

    /// `1.2.3`, `v1.2.3` and `opencode 1.2.3` all match `1.2.3`.
    static func versionMatches(_ output: String, _ expected: String) -> Bool {
        let token = output.split(separator: " ").last.map(String.init) ?? ""
        return token == expected || token == "v" + expected
    }

    static func probeVersion(_ path: String, environment: [String: String], timeout: Duration)
        async throws(OpenWorkError) -> String
    {
        let why: String
        switch await VersionProbe.run(path, environment: environment, timeout: timeout) {
        case .answered(let text): return text
        case .cannotRun(let error): why = "cannot run \(path) --version: \(error.description)"
        case .timedOut: why = "\(path) --version did not answer within \(timeout.secondsText)"
        case .failed(let exit, _): why = "\(path) --version failed (\(exit))"
        }
        throw OpenWorkError(.sidecarVersionMismatch, why, details: ["path": .string(path)])
    }

    // MARK: List

    /// For every sidecar: what would be used, from where, which version, and whether it is verified, without
    /// downloading anything (a download that is not cached yet is reported as `wouldDownload`).
    public func list() async -> JSONValue {
        var items: [JSONValue] = []
        for name in SidecarName.allCases {
            var item: [String: JSONValue] = [
                "name": .string(name.rawValue), "source": .string(settings.source(for: name).rawValue),
            ]
            do {
                let (step, skipped) = try await decide(name, source: nil)
                item["skipped"] = .array(skipped.map(JSONValue.string))
                switch step {
                case .bundled(let path, let version, let sha256):
                    item["from"] = "bundled"
                    item["path"] = .string(path)
                    item["expectedVersion"] = .string(version)
                    item["verified"] = .bool(await SidecarFiles.hash(path)?.hash == sha256)
                case .download(let version, let target, let asset):
                    let directory = "\(settings.directory)/\(version)/\(target)"
                    let cached = await SidecarFiles.hash("\(directory)/\(asset.asset)")
                    let verified = cached?.hash == asset.sha256 && cached?.size == asset.size
                    item["from"] = "downloaded"
                    item["path"] = .string(
                        ArchiveExtractor.kind(of: asset.asset) == nil
                            ? "\(directory)/\(asset.asset)" : "\(directory)/\(name.rawValue)")
                    item["expectedVersion"] = .string(version)
                    item["verified"] = .bool(verified)
                    item["cached"] = .bool(cached != nil)
                    item["url"] = .string(SidecarManifest.downloadURL(asset, base: settings.baseURL))
                    item["wouldDownload"] = .bool(!verified)
                case .external(let path, let origin):
                    item["from"] = "external"
                    item["path"] = .string(path)
                    item["origin"] = .string(origin)
                    item["verified"] = false
                    item["expectedVersion"] = bundledVersion(name).map(JSONValue.string) ?? .null
                }
            } catch {
                item["error"] = ["message": .string(error.message), "kind": .string(error.code.rawValue)]
            }
            items.append(.object(item))
        }
        return [
            "sidecarDir": .string(settings.directory), "manifest": .string(settings.manifestLocation),
            "target": (try? target.get()).map(JSONValue.string) ?? .null,
            "allowExternal": .bool(settings.allowExternal),
            "sidecars": .array(items),
        ]
    }
}
