import OpenWorkJSON
public import OpenWorkSystem

/// One extra mount asked for with `--sandbox-mount hostPath:subpath[:ro|rw]`: parsed, not yet judged.
///
/// Parsing checks the shape of the value only. Whether the host path exists, lies under an allowed root or
/// matches a blocked pattern, and whether the subpath is acceptable, is ``MountPolicy``'s decision.
///
/// The anchor's texts are kept for the shape errors ("Empty --sandbox-mount entry", "Invalid --sandbox-mount
/// value: … Use hostPath:subpath[:ro|rw].", "… Host path is empty.", "… Container subpath is empty.", from the
/// OpenWork orchestrator's `parseSandboxMountSpec` in `apps/orchestrator/src/cli.ts`). Two differences:
/// - without a `:ro`/`:rw` suffix the mount is read-only (the anchor asks for read-write, which it grants when
///   the root allows it);
/// - a value with more than one `:` besides the suffix is refused (the anchor takes everything after the first
///   `:` as the subpath, so a misspelt mode such as `:RW` became part of it).
public struct MountRequest: Sendable, Hashable {
    /// The access a request asks for.
    public enum Access: String, Sendable, Hashable {
        case readOnly = "ro"
        case readWrite = "rw"
    }

    /// The host path as the user wrote it (trimmed): `~` not expanded, symbolic links not followed.
    public var hostPath: String
    /// The path under `/workspace/extra` inside the sandbox, as written (trimmed).
    public var subpath: String
    public var access: Access
    /// The whole value, trimmed, for messages and error details.
    public var spec: String

    public init(hostPath: String, subpath: String, access: Access = .readOnly, spec: String? = nil) {
        self.hostPath = hostPath
        self.subpath = subpath
        self.access = access
        self.spec = spec ?? "\(hostPath):\(subpath):\(access.rawValue)"
    }

    /// The flag's name, in messages.
    public static let flag = "--sandbox-mount"

    /// Parses one `hostPath:subpath[:ro|rw]` value.
    ///
    /// - Throws: `invalid_setting` for an empty value, a NUL byte, or a value that is not `hostPath:subpath`
    ///   with an optional `:ro` or `:rw`.
    public static func parse(_ spec: String) throws(OpenWorkError) -> MountRequest {
        let trimmed = spec.trimmingWhitespace
        guard !trimmed.isEmpty else { throw invalid(trimmed, "Empty \(flag) entry") }
        guard !trimmed.utf8.contains(0) else {
            throw invalid(trimmed, "Invalid \(flag) value: \(trimmed). It contains a NUL byte.")
        }
        var parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        var access = Access.readOnly
        if parts.count > 2, let last = parts.last, let suffix = Access(rawValue: String(last)) {
            access = suffix
            parts.removeLast()
        }
        guard parts.count == 2 else {
            throw invalid(trimmed, "Invalid \(flag) value: \(trimmed). Use hostPath:subpath[:ro|rw].")
        }
        let hostPath = String(parts[0]).trimmingWhitespace
        let subpath = String(parts[1]).trimmingWhitespace
        guard !hostPath.isEmpty else {
            throw invalid(trimmed, "Invalid \(flag) value: \(trimmed). Host path is empty.")
        }
        guard !subpath.isEmpty else {
            throw invalid(trimmed, "Invalid \(flag) value: \(trimmed). Container subpath is empty.")
        }
        return MountRequest(hostPath: hostPath, subpath: subpath, access: access, spec: trimmed)
    }

    /// Parses a list of values separated by commas or newlines (the anchor reads its `OPENWORK_SANDBOX_MOUNT`
    /// variable as a comma-separated list); empty entries are skipped, so a trailing comma or a blank line is
    /// harmless.
    ///
    /// - Throws: the first entry's ``parse(_:)`` error.
    public static func parseList(_ value: String) throws(OpenWorkError) -> [MountRequest] {
        var requests: [MountRequest] = []
        for entry in value.split(whereSeparator: { $0 == "," || $0.isNewline }) {
            let trimmed = String(entry).trimmingWhitespace
            if !trimmed.isEmpty { requests.append(try parse(trimmed)) }
        }
        return requests
    }

    private static func invalid(_ spec: String, _ message: String) -> OpenWorkError {
        OpenWorkError(.invalidSetting, message, details: ["setting": .string(flag), "value": .string(spec)])
    }
}
