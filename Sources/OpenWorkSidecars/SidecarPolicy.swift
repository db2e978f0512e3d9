import Foundation
import OpenWorkJSON
public import OpenWorkSystem

/// The binaries openwork resolves, by their manifest names.
public enum SidecarName: String, Sendable, CaseIterable, Hashable {
    case opencode
    case openworkServer = "openwork-server"
    case opencodeRouter = "opencode-router"

    /// The flag naming an explicit binary (`--opencode-bin`, …).
    public var binFlag: String { "--\(rawValue)-bin" }
    /// The variable naming an explicit binary (`OPENWORK_OPENCODE_BIN`, …).
    public var binVariable: String {
        "OPENWORK_" + rawValue.uppercased().replacingOccurrences(of: "-", with: "_") + "_BIN"
    }
}

/// Where a sidecar may come from.
public enum SidecarSource: String, Sendable, CaseIterable, Hashable {
    /// Bundled, then an explicit path, then a download, then PATH (with `--allow-external`).
    case auto
    /// Only the binary next to the executable, pinned by its `versions.json`.
    case bundled
    /// Only a verified download (or its verified cached copy).
    case downloaded
    /// Only an explicit path, else PATH: used as is, not verified.
    case external
}

/// What the world looks like for one sidecar, gathered by ``SidecarResolver`` and judged by ``SidecarPolicy``.
public struct SidecarFacts: Sendable {
    /// A `versions.json` entry next to the executable.
    public enum Bundle: Sendable, Hashable {
        case present(path: String, version: String, sha256: String)
        /// Why there is none (no `versions.json`, no entry, no binary), for the refusal message.
        case absent(String)
    }

    /// What the manifest says about this sidecar on this host.
    public enum Manifest: Sendable {
        case notLoaded
        case loaded(SidecarManifest)
        case failed(OpenWorkError)
    }

    public var name: SidecarName
    public var source: SidecarSource
    public var allowExternal: Bool
    public var explicitPath: String?
    public var bundle: Bundle
    public var manifest: Manifest
    public var manifestLocation: String
    public var target: Result<String, HostTarget.UnsupportedHost>
    /// The first executable of that name on PATH, if any.
    public var pathCandidate: String?

    public init(
        name: SidecarName, source: SidecarSource, allowExternal: Bool, explicitPath: String?, bundle: Bundle,
        manifest: Manifest, manifestLocation: String, target: Result<String, HostTarget.UnsupportedHost>,
        pathCandidate: String?
    ) {
        self.name = name
        self.source = source
        self.allowExternal = allowExternal
        self.explicitPath = explicitPath
        self.bundle = bundle
        self.manifest = manifest
        self.manifestLocation = manifestLocation
        self.target = target
        self.pathCandidate = pathCandidate
    }
}

/// The pure decision: given the facts, which binary to use, or that the manifest must be read first, or a
/// refusal that says everything that was tried and how to fix it. Never a silent fallback: a step that applies
/// and fails (a bundled binary listed but missing, an unreachable manifest) ends the search with its error, and
/// the steps that did not apply are reported with the result.
///
/// An explicit path (`--opencode-bin`, `OPENWORK_OPENCODE_BIN`) is consent to run that one binary unverified;
/// `--allow-external` is what allows a binary found on PATH.
public enum SidecarPolicy {
    public enum Step: Sendable, Hashable {
        case bundled(path: String, version: String, sha256: String)
        case download(version: String, target: String, asset: SidecarManifest.Asset)
        /// `origin` is `explicit` or `path`.
        case external(path: String, origin: String)
    }

    public enum Decision: Sendable {
        /// Use this step; `skipped` says why the steps before it did not apply.
        case use(Step, skipped: [String])
        case loadManifest
        case refuse(OpenWorkError)
    }

    public static func decide(_ facts: SidecarFacts) -> Decision {
        var skipped: [String] = []
        let name = facts.name.rawValue
        func refuse(_ code: OpenWorkError.Code, _ fix: String) -> Decision {
            .refuse(
                OpenWorkError(
                    code,
                    "no \(name) to run (source \(facts.source.rawValue)): \(skipped.joined(separator: "; ")). \(fix)",
                    details: [
                        "sidecar": .string(name), "source": .string(facts.source.rawValue),
                        "tried": .array(skipped.map(JSONValue.string)),
                    ]))
        }
        func bundled() -> Step? {
            switch facts.bundle {
            case .present(let path, let version, let sha256):
                return .bundled(path: path, version: version, sha256: sha256)
            case .absent(let reason):
                skipped.append("bundled: \(reason)")
                return nil
            }
        }
        func explicit() -> Step? {
            guard let path = facts.explicitPath else {
                skipped.append("explicit: no \(facts.name.binFlag) or \(facts.name.binVariable)")
                return nil
            }
            return .external(path: path, origin: "explicit")
        }
        /// `nil` with `decision` set when the manifest must be read or failed.
        func download() -> (Step?, Decision?) {
            let target: String
            switch facts.target {
            case .success(let value): target = value
            case .failure(let host):
                skipped.append("download: no builds for this host (\(host.system) \(host.machine))")
                return (nil, nil)
            }
            switch facts.manifest {
            case .notLoaded: return (nil, .loadManifest)
            case .failed(let error):
                var error = error
                if !skipped.isEmpty { error.details["tried"] = .array(skipped.map(JSONValue.string)) }
                error.details["sidecar"] = .string(name)
                error.message +=
                    ". To resolve \(name) without it: point --sidecar-manifest at a reachable manifest (a path works "
                    + "offline), pass \(facts.name.binFlag) PATH, or --\(name == "opencode" ? "opencode" : "sidecar")"
                    + "-source external --allow-external to use the one on PATH"
                return (nil, .refuse(error))
            case .loaded(let manifest):
                guard let entry = manifest.entries[name] else {
                    skipped.append("download: \(facts.manifestLocation) has no entry for \(name)")
                    return (nil, nil)
                }
                guard let asset = entry.targets[target] else {
                    skipped.append(
                        "download: \(facts.manifestLocation) has no \(target) build of \(name) "
                            + "(it has \(entry.targets.keys.sorted().joined(separator: ", ")))")
                    return (nil, nil)
                }
                return (.download(version: entry.version, target: target, asset: asset), nil)
            }
        }
        func onPath() -> Step? {
            guard let candidate = facts.pathCandidate else {
                skipped.append("PATH: no \(name) on PATH")
                return nil
            }
            guard facts.allowExternal else {
                skipped.append("PATH: \(candidate) found, but external binaries need --allow-external")
                return nil
            }
            return .external(path: candidate, origin: "path")
        }

        switch facts.source {
        case .bundled:
            if let step = bundled() { return .use(step, skipped: skipped) }
            return refuse(
                .sidecarNotFound, "Install a build of openwork that bundles \(name), or choose another source.")
        case .downloaded:
            let (step, decision) = download()
            if let decision { return decision }
            if let step { return .use(step, skipped: skipped) }
            return refuse(
                .sidecarNotFound, "Point --sidecar-manifest at a manifest with this build, or choose another source.")
        case .external:
            if let step = explicit() ?? onPath() { return .use(step, skipped: skipped) }
            return facts.pathCandidate == nil
                ? refuse(
                    .sidecarNotFound, "Pass \(facts.name.binFlag) PATH, or put \(name) on PATH with --allow-external.")
                : refuse(
                    .sidecarExternalRefused, "Pass --allow-external (OPENWORK_ALLOW_EXTERNAL=1) to run it unverified.")
        case .auto:
            if let step = bundled() {
                if let path = facts.explicitPath {
                    skipped.append(
                        "explicit: \(path) not used: the bundled binary comes first in auto "
                            + "(--\(name == "opencode" ? "opencode" : "sidecar")-source external uses it)")
                }
                return .use(step, skipped: skipped)
            }
            if let step = explicit() { return .use(step, skipped: skipped) }
            let (step, decision) = download()
            if let decision { return decision }
            if let step { return .use(step, skipped: skipped) }
            if let step = onPath() { return .use(step, skipped: skipped) }
            return facts.pathCandidate == nil
                ? refuse(
                    .sidecarNotFound,
                    "Pass \(facts.name.binFlag) PATH, or point --sidecar-manifest at a manifest that has this build.")
                : refuse(
                    .sidecarExternalRefused,
                    "Pass --allow-external (OPENWORK_ALLOW_EXTERNAL=1) to use the one on PATH, or \(facts.name.binFlag) PATH."
                )
        }
    }
}
