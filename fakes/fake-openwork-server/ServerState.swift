import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import OpenWorkJSON

/// Everything the routes share: the parsed options, the approvals, the minted tokens, the request journal,
/// the log and the client for the opencode behind the server.
final class ServerState: Sendable {
    let options: ServerOptions
    let book: ApprovalBook
    let tokens = TokenBook()
    let journal = RequestJournal()
    let log: ServerLog
    let http: HTTPClient
    let started = ContinuousClock.now
    let processID: Int32
    let hostToken: HostTokenCheck
    let collaboratorToken: HostTokenCheck

    init(options: ServerOptions, processID: Int32) {
        self.options = options
        self.processID = processID
        book = ApprovalBook(mode: options.mode, timeout: .milliseconds(options.approvalTimeoutMs)) {
            Int64(Date().timeIntervalSince1970 * 1_000)
        }
        log = ServerLog(options: options, processID: processID)
        hostToken = HostTokenCheck(options.hostToken)
        collaboratorToken = HostTokenCheck(options.collaboratorToken ?? "")
        var configuration = HTTPClient.Configuration()
        // A connect deadline only: proxied event streams stay quiet for long stretches.
        configuration.timeout = .init(connect: .seconds(2))
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The workspace path, absolute and normalized (no `.`/`..`, no trailing slash); `nil` without `--workspace`.
    var workspacePath: String? {
        options.workspace.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }

    /// `ws_` + the first 12 hex digits of SHA-256 of the workspace path, as the OpenWork server names it.
    var workspaceID: String? {
        workspacePath.map { path in
            "ws_" + SHA256.hash(data: Data(path.utf8)).map { String(format: "%02x", $0) }.joined().prefix(12)
        }
    }

    /// The directory opencode is asked about: `--opencode-directory`, else the workspace.
    var opencodeDirectory: String? { options.opencode.directory ?? workspacePath }

    var uptimeMs: Int64 {
        let uptime = (ContinuousClock.now - started).components
        return uptime.seconds * 1_000 + uptime.attoseconds / 1_000_000_000_000_000
    }
}
