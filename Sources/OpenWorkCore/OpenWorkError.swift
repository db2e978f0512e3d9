public import OpenWorkJSON
public import OpenWorkRPC

/// The engine's one error type. Its ``Code`` is the stable `data.kind` clients see; the mapping from codes to
/// JSON-RPC error numbers lives here and nowhere else.
public struct OpenWorkError: Error, Sendable, Hashable, CustomStringConvertible, RPCErrorConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let workspaceNotFound = Code(rawValue: "workspace_not_found")
        public static let workspaceAmbiguous = Code(rawValue: "workspace_ambiguous")
        public static let invalidPath = Code(rawValue: "invalid_path")
        public static let invalidURL = Code(rawValue: "invalid_url")
        public static let invalidName = Code(rawValue: "invalid_name")
        public static let stateCorrupt = Code(rawValue: "state_corrupt")
        public static let stateVersionUnsupported = Code(rawValue: "state_version_unsupported")
        public static let stateWriteFailed = Code(rawValue: "state_write_failed")
        public static let registryBusy = Code(rawValue: "registry_busy")
        public static let dataDirUnusable = Code(rawValue: "data_dir_unusable")
        public static let dataDirLocked = Code(rawValue: "data_dir_locked")
        /// The data directory, or a file or directory in it, cannot be trusted: a symbolic link where a file of
        /// ours should be, or a directory another user owns. `details.path` names it.
        public static let dataDirUnsafe = Code(rawValue: "data_dir_unsafe")
        public static let opencodeUnavailable = Code(rawValue: "opencode_unavailable")
        public static let opencodeStartFailed = Code(rawValue: "opencode_start_failed")
        public static let opencodeUnsupportedVersion = Code(rawValue: "opencode_unsupported_version")
        public static let opencodeRoutingMismatch = Code(rawValue: "opencode_routing_mismatch")
        public static let opencodeRequestFailed = Code(rawValue: "opencode_request_failed")
        public static let opencodeNotFound = Code(rawValue: "opencode_not_found")
        /// A flag or environment variable with a value it cannot have.
        public static let invalidSetting = Code(rawValue: "invalid_setting")
        public static let sidecarNotFound = Code(rawValue: "sidecar_not_found")
        public static let sidecarIntegrity = Code(rawValue: "sidecar_integrity")
        public static let sidecarManifestInvalid = Code(rawValue: "sidecar_manifest_invalid")
        public static let sidecarDownloadFailed = Code(rawValue: "sidecar_download_failed")
        public static let sidecarVersionMismatch = Code(rawValue: "sidecar_version_mismatch")
        public static let sidecarExternalRefused = Code(rawValue: "sidecar_external_refused")
        public static let sidecarArchiveUnsafe = Code(rawValue: "sidecar_archive_unsafe")
        /// The manifest's host could not be reached (DNS failure, connection refused or timed out), as opposed
        /// to a manifest that was fetched and is wrong (`sidecar_manifest_invalid`).
        public static let sidecarManifestUnreachable = Code(rawValue: "sidecar_manifest_unreachable")

        /// The JSON-RPC error number: one per family, in the server range.
        var rpcCode: Int {
            switch self {
            case .workspaceNotFound: -32_001
            case .invalidPath, .invalidURL, .invalidName, .workspaceAmbiguous: -32_002
            case .stateCorrupt, .stateVersionUnsupported, .stateWriteFailed, .dataDirUnusable, .dataDirUnsafe: -32_003
            case .registryBusy, .dataDirLocked: -32_004
            case .opencodeUnavailable, .opencodeStartFailed, .opencodeUnsupportedVersion, .opencodeNotFound: -32_005
            case .opencodeRoutingMismatch, .opencodeRequestFailed: -32_006
            case .sidecarNotFound, .sidecarIntegrity, .sidecarManifestInvalid, .sidecarDownloadFailed,
                .sidecarVersionMismatch, .sidecarExternalRefused, .sidecarArchiveUnsafe, .sidecarManifestUnreachable:
                -32_007
            default: -32_000
            }
        }
    }

    public var code: Code
    public var message: String
    public var details: [String: JSONValue]

    public init(_ code: Code, _ message: String, details: [String: JSONValue] = [:]) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(message) [\(code)]" }

    public var rpcError: RPCError {
        RPCError(code: code.rpcCode, message: message, kind: code.rawValue, details: details)
    }
}
