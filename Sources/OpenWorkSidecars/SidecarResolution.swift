import AsyncHTTPClient
import Foundation
public import OpenWorkJSON
public import OpenWorkSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a resolution found: the binary to run and how far it is trusted.
public struct SidecarResolution: Sendable, Hashable {
    public var name: SidecarName
    public var path: String
    /// `bundled`, `downloaded` or `external`.
    public var source: SidecarSource
    /// The version the pin names (manifest or `versions.json`); for an external binary the bundled pin, if any.
    public var expectedVersion: String?
    /// What `--version` printed (`nil` when it was not run).
    public var version: String?
    /// Size and SHA-256 matched a pin.
    public var verified: Bool
    public var sha256: String?
    /// Downloaded now (false: found in the cache, bundled or external).
    public var downloaded: Bool
    /// `explicit` or `path` for an external binary.
    public var origin: String?
    /// Why the steps before the chosen one did not apply.
    public var skipped: [String]
    public var warnings: [String]

    public var json: JSONValue {
        [
            "name": .string(name.rawValue), "path": .string(path), "source": .string(source.rawValue),
            "expectedVersion": expectedVersion.map(JSONValue.string) ?? .null,
            "version": version.map(JSONValue.string) ?? .null, "verified": .bool(verified),
            "sha256": sha256.map(JSONValue.string) ?? .null, "downloaded": .bool(downloaded),
            "origin": origin.map(JSONValue.string) ?? .null, "skipped": .array(skipped.map(JSONValue.string)),
            "warnings": .array(warnings.map(JSONValue.string)),
        ]
    }
}
