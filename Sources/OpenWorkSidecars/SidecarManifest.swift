public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import OpenWorkJSON
public import OpenWorkSystem

/// The orchestrator's `openwork-orchestrator-sidecars.json`: for each sidecar a version and, per target, the
/// asset's name, pinned SHA-256 and size, and optionally an absolute URL that overrides base + asset.
public struct SidecarManifest: Sendable, Hashable {
    public struct Asset: Sendable, Hashable {
        public var asset: String
        /// Lowercase hex, 64 digits.
        public var sha256: String
        public var size: Int64
        public var url: String?

        public init(asset: String, sha256: String, size: Int64, url: String?) {
            self.asset = asset
            self.sha256 = sha256
            self.size = size
            self.url = url
        }
    }

    public struct Entry: Sendable, Hashable {
        public var version: String
        public var targets: [String: Asset]

        public init(version: String, targets: [String: Asset]) {
            self.version = version
            self.targets = targets
        }
    }

    public var version: String?
    public var entries: [String: Entry]

    /// Parses and validates a manifest. Every problem names where it is (`entries.opencode.targets.linux-x64.sha256`).
    public init(json: JSONValue) throws(OpenWorkError) {
        func invalid(_ at: String, _ reason: String) -> OpenWorkError {
            OpenWorkError(
                .sidecarManifestInvalid, "the sidecar manifest is invalid at \(at): \(reason)",
                details: ["at": .string(at)])
        }
        guard let root = json.objectValue else { throw invalid("the top level", "not an object") }
        version = root["version"]?.stringValue
        guard let entries = root["entries"]?.objectValue else { throw invalid("entries", "missing or not an object") }
        var parsed: [String: Entry] = [:]
        for (name, entry) in entries {
            let at = "entries.\(name)"
            guard let version = entry["version"]?.stringValue, Self.isSafeVersion(version) else {
                throw invalid(at + ".version", "missing, not a string, or not a plain version")
            }
            guard let targets = entry["targets"]?.objectValue else {
                throw invalid(at + ".targets", "missing or not an object")
            }
            var assets: [String: Asset] = [:]
            for (target, asset) in targets {
                let at = "\(at).targets.\(target)"
                guard let name = asset["asset"]?.stringValue, Self.isSafeFileName(name) else {
                    throw invalid(at + ".asset", "missing, or not a plain file name")
                }
                guard let hash = asset["sha256"]?.stringValue?.lowercased(), Self.isSHA256(hash) else {
                    throw invalid(at + ".sha256", "missing or not 64 hex digits")
                }
                guard let size = asset["size"]?.int64Value, size > 0 else {
                    throw invalid(at + ".size", "missing or not a positive integer")
                }
                var url: String?
                if let value = asset["url"], value != .null {
                    guard let text = value.stringValue,
                        text.hasPrefix("https://") || text.hasPrefix("http://") || text.hasPrefix("file:///")
                    else {
                        throw invalid(at + ".url", "not an absolute http(s) or file:/// URL")
                    }
                    url = text
                }
                assets[target] = Asset(asset: name, sha256: hash, size: size, url: url)
            }
            parsed[name] = Entry(version: version, targets: assets)
        }
        self.entries = parsed
    }

    public init(version: String?, entries: [String: Entry]) {
        self.version = version
        self.entries = entries
    }

    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// A name that can only mean one file in one directory: no separators, not `.`/`..`, no NUL, not hidden.
    static func isSafeFileName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && !name.hasPrefix(".") && !name.contains("/")
            && !name.contains("\\") && !name.utf8.contains(0)
    }

    /// Versions become directory names: letters, digits, `.`, `-`, `+`, `_` only, not starting with a dot.
    static func isSafeVersion(_ version: String) -> Bool {
        !version.isEmpty && version.utf8.count <= 64 && !version.hasPrefix(".")
            && version.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
                    || ".-+_".unicodeScalars.contains($0)
            }
    }

    /// The pin for a local file (size and SHA-256), for writing manifests; `nil` when it cannot be read.
    public static func pin(file path: String, asset: String, url: String? = nil) -> Asset? {
        guard let (hash, size) = SidecarFiles.sha256(of: path) else { return nil }
        return Asset(asset: asset, sha256: hash, size: size, url: url)
    }

    /// The manifest's JSON form.
    public var json: JSONValue {
        var entries: [String: JSONValue] = [:]
        for (name, entry) in self.entries {
            var targets: [String: JSONValue] = [:]
            for (target, asset) in entry.targets {
                var members: [String: JSONValue] = [
                    "asset": .string(asset.asset), "sha256": .string(asset.sha256), "size": .integer(asset.size),
                ]
                if let url = asset.url { members["url"] = .string(url) }
                targets[target] = .object(members)
            }
            entries[name] = ["version": .string(entry.version), "targets": .object(targets)]
        }
        return ["version": version.map(JSONValue.string) ?? .null, "entries": .object(entries)]
    }

    /// Where an asset is downloaded from: its own `url`, else `<base>/<asset>`.
    public static func downloadURL(_ asset: Asset, base: String) -> String {
        if let url = asset.url { return url }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/" + asset.asset
    }

    // MARK: Loading

    /// The most bytes a manifest may have (a real one is a few KiB).
    static let maximumBytes = 1 << 20

    /// Reads the manifest at `location`: an `http(s)://` URL (fetched within `timeout`, no redirects followed
    /// beyond what the client allows), a `file://` URL, or a path. Unreachable, refused or malformed manifests
    /// are `sidecar_manifest_invalid` errors naming the location.
    public static func load(_ location: String, http: HTTPClient, timeout: Duration) async throws(OpenWorkError)
        -> SidecarManifest
    {
        let bytes: [UInt8]
        if location.hasPrefix("http://") || location.hasPrefix("https://") {
            bytes = try await fetch(location, http: http, timeout: timeout)
        } else {
            let path = location.hasPrefix("file://") ? String(location.dropFirst("file://".count)) : location
            guard let data = FileManager.default.contents(atPath: path) else {
                throw OpenWorkError(
                    .sidecarManifestInvalid, "cannot read the sidecar manifest \(path)",
                    details: ["manifest": .string(location)])
            }
            guard data.count <= maximumBytes else {
                throw OpenWorkError(
                    .sidecarManifestInvalid, "the sidecar manifest \(path) is larger than 1 MiB",
                    details: ["manifest": .string(location)])
            }
            bytes = [UInt8](data)
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw OpenWorkError(
                .sidecarManifestInvalid, "the sidecar manifest \(location) is not JSON: \(error)",
                details: ["manifest": .string(location)])
        }
        do {
            return try SidecarManifest(json: json)
        } catch {
            var error = error
            error.message += " (\(location))"
            error.details["manifest"] = .string(location)
            throw error
        }
    }

    private static func fetch(_ url: String, http: HTTPClient, timeout: Duration) async throws(OpenWorkError)
        -> [UInt8]
    {
        func failure(_ reason: String) -> OpenWorkError {
            OpenWorkError(
                .sidecarManifestInvalid, "cannot fetch the sidecar manifest \(url): \(reason)",
                details: ["manifest": .string(url)])
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(HTTPClientRequest(url: url), timeout: .nanoseconds(timeout.nanoseconds))
        } catch {
            // No answer at all: the name did not resolve, the connection was refused or timed out. Nothing is
            // known about the manifest itself, so this is not `sidecar_manifest_invalid`.
            throw OpenWorkError(
                .sidecarManifestUnreachable, "cannot reach the sidecar manifest \(url): \(error)",
                details: ["manifest": .string(url), "reason": .string("\(error)")])
        }
        do {
            guard response.status.code == 200 else {
                throw failure("HTTP \(response.status.code)")
            }
            var buffer = try await response.body.collect(upTo: maximumBytes)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch let error as OpenWorkError {
            throw error
        } catch {
            throw failure("\(error)")
        }
    }
}
