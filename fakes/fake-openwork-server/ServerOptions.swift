/// The command line and environment of `fake-openwork-server`, parsed without side effects.
///
/// `--hostname H` (default `127.0.0.1`), `--port N` (default 0: a free port), `--approval manual|auto`
/// (default manual), `--approval-timeout-ms N` (default 30000). The host token comes from
/// `OPENWORK_HOST_TOKEN` only (never argv); `FAKE_OPENWORK_INTROSPECTION=1` serves the `/__fake/*` routes.
struct ServerOptions: Sendable, Equatable {
    enum Mode: String, Sendable { case manual, auto }

    var hostname = "127.0.0.1"
    var port = 0
    var mode = Mode.manual
    var approvalTimeoutMs = 30_000
    var hostToken = ""
    var introspection = false

    struct Problem: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String], environment: [String: String]) throws(Problem) -> ServerOptions {
        var options = ServerOptions()
        var index = 0
        func value(_ name: String) throws(Problem) -> String {
            index += 1
            guard index < arguments.count else { throw Problem(description: "\(name) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--hostname": options.hostname = try value(argument)
            case "--port":
                guard let port = Int(try value(argument)), (0...65_535).contains(port) else {
                    throw Problem(description: "--port must be between 0 and 65535")
                }
                options.port = port
            case "--approval":
                guard let mode = Mode(rawValue: try value(argument)) else {
                    throw Problem(description: "--approval must be manual or auto")
                }
                options.mode = mode
            case "--approval-timeout-ms":
                guard let timeout = Int(try value(argument)), timeout > 0 else {
                    throw Problem(description: "--approval-timeout-ms must be a positive integer")
                }
                options.approvalTimeoutMs = timeout
            default:
                throw Problem(description: "unknown argument: \(argument)")
            }
            index += 1
        }
        guard let token = environment["OPENWORK_HOST_TOKEN"], !token.isEmpty else {
            throw Problem(description: "OPENWORK_HOST_TOKEN must be set (the host token is never taken from argv)")
        }
        options.hostToken = token
        options.introspection = ["1", "true", "yes"].contains(environment["FAKE_OPENWORK_INTROSPECTION"] ?? "")
        return options
    }
}

/// Compares the `X-OpenWork-Host-Token` header with the expected token in constant time.
struct HostTokenCheck: Sendable {
    let expected: [UInt8]

    init(_ token: String) { expected = Array(token.utf8) }

    func accepts(_ header: String?) -> Bool {
        guard let header else { return false }
        let given = Array(header.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in 0..<expected.count {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}
