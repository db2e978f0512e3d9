public import OpenWorkJSON

/// The one error type of every openwork module. Its ``Code`` is the stable `data.kind` clients see.
///
/// This type knows no wire format: the JSON-RPC error number and the HTTP status of each code are mapped in one
/// place, `OpenWorkError+Wire.swift` in `OpenWorkOperations`.
public struct OpenWorkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A kind of failure. Every code openwork raises is declared here, in one list (the approvals' and the daemon
    /// client's included); a client decoding a daemon's answer may meet others (the protocol's own, such as
    /// `invalid_params`), which is why this is an open set of strings and not an enum.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

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
        public static let approvalNotFound = Code(rawValue: "approval_not_found")
        /// No instance lease by that id: it expired, was released, or never was.
        public static let leaseNotFound = Code(rawValue: "lease_not_found")
        public static let unauthorized = Code(rawValue: "unauthorized")
        public static let openworkServerUnreachable = Code(rawValue: "openwork_server_unreachable")
        public static let openworkServerFailed = Code(rawValue: "openwork_server_failed")
        public static let invalidApprovalSettings = Code(rawValue: "invalid_approval_settings")
        /// No daemon serves the data directory (and the command does not start one).
        public static let daemonNotRunning = Code(rawValue: "daemon_not_running")
        /// `daemon start` could not get a daemon serving within its deadline.
        public static let daemonStartFailed = Code(rawValue: "daemon_start_failed")
        /// The daemon did not answer as expected.
        public static let daemonUnreachable = Code(rawValue: "daemon_unreachable")
        /// Host mode: a service (openwork-server, opencode-router) could not be started or gave up.
        public static let serviceStartFailed = Code(rawValue: "service_start_failed")
        public static let serviceUnavailable = Code(rawValue: "service_unavailable")
        /// Host mode: openwork-server answered, but not as the anchor verifies it (version, workspace, credentials).
        public static let serviceVerificationFailed = Code(rawValue: "service_verification_failed")
        /// Host mode: a `--check` step failed.
        public static let hostCheckFailed = Code(rawValue: "host_check_failed")
        /// Host mode already runs (or is starting or stopping) in this engine: one host per data directory.
        public static let hostAlreadyRunning = Code(rawValue: "host_already_running")
        /// Host mode was stopped (`host.stop`) while it was starting: the start's caller gets this.
        public static let hostStopped = Code(rawValue: "host_stopped")
        /// Sandbox mode: an extra mount the allowlist refuses (`details.rule` names the rule).
        public static let sandboxMountRefused = Code(rawValue: "sandbox_mount_refused")
        /// Sandbox mode: the backend asked for cannot run here (missing executable, wrong platform).
        public static let sandboxUnavailable = Code(rawValue: "sandbox_unavailable")

        public var description: String { rawValue }
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
}
