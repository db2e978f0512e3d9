public import OpenWorkRPC
public import OpenWorkSystem

/// The one mapping from an error's kind to the wire: its JSON-RPC error number and the HTTP status the control
/// plane answers with. Nothing else maps kinds to numbers or statuses.
extension OpenWorkError.Code {
    /// The JSON-RPC protocol's own kinds (``RPCError``), which the control plane answers too.
    static let methodNotFound = Self(rawValue: "method_not_found")
    static let invalidParams = Self(rawValue: "invalid_params")
    static let invalidRequest = Self(rawValue: "invalid_request")
    static let parseError = Self(rawValue: "parse_error")

    /// The JSON-RPC error number: one per family, in the server range.
    public var rpcCode: Int {
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
        case .serviceStartFailed, .serviceUnavailable, .serviceVerificationFailed, .hostCheckFailed,
            .hostAlreadyRunning, .hostStopped, .sandboxMountRefused, .sandboxUnavailable:
            -32_008
        default: -32_000
        }
    }

    /// The HTTP status: bad input (the protocol's `invalid_params`, `invalid_request` and `parse_error` too) 400,
    /// unknown things 404, a busy or locked owner and a host that already runs 409, an unreachable manifest host
    /// 502, opencode or a host service that cannot serve 503, the rest (an unsafe or unusable data directory among
    /// them: the daemon's problem, not the caller's) 500.
    public var httpStatus: Int {
        switch self {
        case .workspaceNotFound, .approvalNotFound, .leaseNotFound: 404
        case .invalidPath, .invalidURL, .invalidName, .invalidSetting, .invalidApprovalSettings,
            .sandboxMountRefused:
            400
        case .dataDirLocked, .workspaceAmbiguous, .registryBusy, .hostAlreadyRunning, .hostStopped: 409
        case .sidecarManifestUnreachable: 502
        case .opencodeUnavailable, .opencodeStartFailed, .opencodeRequestFailed, .opencodeNotFound: 503
        case .serviceStartFailed, .serviceUnavailable, .sandboxUnavailable: 503
        case .methodNotFound: 404
        case .invalidParams, .invalidRequest, .parseError: 400
        default: 500
        }
    }
}

// Both types are this package's own: the conformance lives here so that OpenWorkSystem knows no wire format.
extension OpenWorkError: RPCErrorConvertible {
    public var rpcError: RPCError {
        RPCError(code: code.rpcCode, message: message, kind: code.rawValue, details: details)
    }
}

extension RPCError {
    /// The HTTP status of any error a method returns, engine's or protocol's, by its kind.
    public var httpStatus: Int { OpenWorkError.Code(rawValue: kind).httpStatus }
}
