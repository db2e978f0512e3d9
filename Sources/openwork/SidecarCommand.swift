import ArgumentParser
import Foundation
import OpenWorkJSON
import OpenWorkSidecars
import OpenWorkSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The sidecar flags of the orchestrator (everything but `--opencode-bin`, which each command declares).
struct SidecarOptions: ParsableArguments {
    @Option(help: "Where downloaded sidecars are cached (default: $OPENWORK_SIDECAR_DIR, else <data-dir>/sidecars).")
    var sidecarDir: String?

    @Option(help: "Base URL of the release assets (default: $OPENWORK_SIDECAR_BASE_URL, else the GitHub release).")
    var sidecarBaseUrl: String?

    @Option(
        help:
            "The sidecar manifest: an http(s) or file:// URL or a path (default: $OPENWORK_SIDECAR_MANIFEST_URL, else <base>/openwork-orchestrator-sidecars.json)."
    )
    var sidecarManifest: String?

    @Option(help: "auto|bundled|downloaded|external for every sidecar (default: $OPENWORK_SIDECAR_SOURCE, else auto).")
    var sidecarSource: String?

    @Option(
        help:
            "auto|bundled|downloaded|external for opencode (default: $OPENWORK_OPENCODE_SOURCE, else --sidecar-source; external when --opencode-bin is given)."
    )
    var opencodeSource: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Allow unverified binaries found on PATH (default: $OPENWORK_ALLOW_EXTERNAL, else no).")
    var allowExternal: Bool?

    @Option(help: "The openwork-server executable (default: $OPENWORK_OPENWORK_SERVER_BIN).")
    var openworkServerBin: String?

    @Option(help: "The opencode-router executable (default: $OPENWORK_OPENCODE_ROUTER_BIN).")
    var opencodeRouterBin: String?

    func validate() throws {
        for (flag, value) in [("--sidecar-source", sidecarSource), ("--opencode-source", opencodeSource)] {
            if let value, SidecarSource(rawValue: value) == nil {
                throw ValidationError("\(flag) must be auto, bundled, downloaded or external")
            }
        }
    }

    /// The settings these flags, the environment and the data directory give; `opencodeBin` is the command's
    /// `--opencode-bin`.
    func settings(dataDirectory: String, opencodeBin: String?) throws(OpenWorkError) -> SidecarSettings {
        var flags = SidecarSettings.Flags()
        flags.sidecarDir = sidecarDir.map(ServeOptions.absolute)
        flags.sidecarBaseURL = sidecarBaseUrl
        flags.sidecarManifest = sidecarManifest.map { $0.contains("://") ? $0 : ServeOptions.absolute($0) }
        flags.sidecarSource = sidecarSource
        flags.opencodeSource = opencodeSource
        flags.allowExternal = allowExternal
        flags.binaries[.opencode] = opencodeBin.map(ServeOptions.absolute)
        flags.binaries[.openworkServer] = openworkServerBin.map(ServeOptions.absolute)
        flags.binaries[.opencodeRouter] = opencodeRouterBin.map(ServeOptions.absolute)
        return try SidecarSettings.resolve(
            flags, environment: ProcessInfo.processInfo.environment, dataDirectory: dataDirectory,
            bundleDirectory: Self.executableDirectory)
    }

    /// The same flags as arguments (for `daemon start`, which passes them to `daemon run`).
    var arguments: [String] {
        var arguments: [String] = []
        let options: [(String, String?)] = [
            ("--sidecar-dir", sidecarDir.map(ServeOptions.absolute)), ("--sidecar-base-url", sidecarBaseUrl),
            ("--sidecar-manifest", sidecarManifest.map { $0.contains("://") ? $0 : ServeOptions.absolute($0) }),
            ("--sidecar-source", sidecarSource), ("--opencode-source", opencodeSource),
            ("--openwork-server-bin", openworkServerBin.map(ServeOptions.absolute)),
            ("--opencode-router-bin", opencodeRouterBin.map(ServeOptions.absolute)),
        ]
        for (flag, value) in options { if let value { arguments += [flag, value] } }
        if let allowExternal { arguments.append(allowExternal ? "--allow-external" : "--no-allow-external") }
        return arguments
    }

    /// The directory of the running executable: bundled sidecars and `versions.json` live there.
    static var executableDirectory: String? {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
    }
}

/// `openwork sidecar list|resolve <name>`: runs in this process (no daemon needed); the cache is shared safely.
struct SidecarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sidecar",
        abstract: "Show or resolve the binaries openwork runs (opencode, openwork-server, opencode-router).",
        subcommands: [List.self, Resolve.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "For each sidecar: what would be used, from where, which version, verified or not.")

        @OptionGroup var common: DataDirOptions
        @OptionGroup var sidecar: SidecarOptions
        @Option(help: "The opencode executable (default: $OPENWORK_OPENCODE_BIN).")
        var opencodeBin: String?

        func run() async throws {
            try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
                let settings = try sidecar.settings(dataDirectory: common.dataDirectory.path, opencodeBin: opencodeBin)
                let resolver = SidecarResolver(settings: settings)
                let result = await resolver.list()
                await resolver.shutdown()
                CommandOutput.success(result, json: common.json, human: Self.table(result))
            }
        }

        /// One row per sidecar with at most a short reason in place of the path; the full message, the steps
        /// tried and the fixes are in `--json`.
        static func table(_ result: JSONValue) -> String {
            let items = result["sidecars"]?.arrayValue ?? []
            let rows =
                [["NAME", "FROM", "VERSION", "VERIFIED", "PATH"]]
                + items.map { item in
                    [
                        item["name"]?.stringValue ?? "", item["from"]?.stringValue ?? "-",
                        item["expectedVersion"]?.stringValue ?? "-",
                        item["verified"]?.boolValue == true
                            ? "yes" : (item["wouldDownload"]?.boolValue == true ? "not yet" : "no"),
                        item["error"].map { "error: " + shortReason($0["kind"]?.stringValue ?? "") }
                            ?? item["path"]?.stringValue ?? "",
                    ]
                }
            let footer =
                items.contains { $0["error"] != nil } ? "\nDetails and fixes: openwork sidecar list --json" : ""
            return Describe.columns(rows) + footer
        }

        /// A few words for an error kind, for a table cell.
        static func shortReason(_ kind: String) -> String {
            switch kind {
            case "sidecar_manifest_unreachable": "manifest unreachable"
            case "sidecar_manifest_invalid": "manifest invalid"
            case "sidecar_not_found": "not found"
            case "sidecar_external_refused": "only on PATH (needs --allow-external)"
            case "sidecar_integrity": "checksum mismatch"
            case "sidecar_version_mismatch": "wrong version"
            case "sidecar_archive_unsafe": "unsafe archive"
            case "sidecar_download_failed": "download failed"
            default: kind.isEmpty ? "failed" : kind.replacingOccurrences(of: "_", with: " ")
            }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "Find, download (verified) and version-check one sidecar; print its path.")

        @Argument(help: "opencode, openwork-server or opencode-router")
        var name: String

        @Option(help: "Override the source for this resolution: auto|bundled|downloaded|external.")
        var source: String?

        @OptionGroup var common: DataDirOptions
        @OptionGroup var sidecar: SidecarOptions
        @Option(help: "The opencode executable (default: $OPENWORK_OPENCODE_BIN).")
        var opencodeBin: String?

        func validate() throws {
            guard SidecarName(rawValue: name) != nil else {
                throw ValidationError("unknown sidecar \(name): opencode, openwork-server or opencode-router")
            }
            if let source, SidecarSource(rawValue: source) == nil {
                throw ValidationError("--source must be auto, bundled, downloaded or external")
            }
        }

        func run() async throws {
            let json = common.json
            try await CommandOutput.run(json: json) { () throws(OpenWorkError) in
                let settings = try sidecar.settings(dataDirectory: common.dataDirectory.path, opencodeBin: opencodeBin)
                let bar = !json && isatty(2) == 1 ? ProgressBar() : nil
                let resolver = SidecarResolver(settings: settings) { type, members in
                    if type == "sidecar.progress" { bar?.show(members) }
                    if type == "sidecar.version_mismatch", !json {
                        FileHandle.standardError.write(
                            Data(
                                "openwork: warning: \(members["path"]?.stringValue ?? "") reports \(members["version"]?.stringValue ?? "?"), expected \(members["expectedVersion"]?.stringValue ?? "?")\n"
                                    .utf8))
                    }
                }
                let outcome: Result<SidecarResolution, OpenWorkError>
                do {
                    outcome = .success(
                        try await resolver.resolve(
                            SidecarName(rawValue: name) ?? .opencode,
                            source: source.flatMap(SidecarSource.init(rawValue:))))
                } catch let error as OpenWorkError {
                    outcome = .failure(error)
                } catch {
                    outcome = .failure(OpenWorkError(.sidecarDownloadFailed, "\(error)"))
                }
                bar?.finish()
                await resolver.shutdown()
                let result = try outcome.get()
                CommandOutput.success(
                    result.json, json: json,
                    human:
                        "\(result.path) (\(result.source.rawValue), \(result.verified ? "verified" : "not verified"), version \(result.version ?? "unknown"))"
                )
            }
        }
    }
}

/// `opencode  12.3 MiB / 40.1 MiB  [=====>     ]  4.1 MiB/s  7s left` on stderr, redrawn in place.
final class ProgressBar: Sendable {
    private let state = Mutex<(start: ContinuousClock.Instant, drawn: Bool)>((ContinuousClock.now, false))

    func show(_ members: [String: JSONValue]) {
        let received = Double(members["received"]?.int64Value ?? 0)
        let total = Double(max(members["total"]?.int64Value ?? 1, 1))
        let elapsed = state.withLock { state -> Double in
            state.drawn = true
            let duration = ContinuousClock.now - state.start
            return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        let rate = elapsed > 0 ? received / elapsed : 0
        let left = rate > 0 ? Int((total - received) / rate) : 0
        let width = 30
        let filled = Int(Double(width) * received / total)
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        func mib(_ bytes: Double) -> String { String(format: "%.1f MiB", bytes / 1_048_576) }
        let line =
            "\r\(members["name"]?.stringValue ?? "")  \(mib(received)) / \(mib(total))  [\(bar)]  \(mib(rate))/s  \(left)s left "
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if state.withLock({ $0.drawn }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
