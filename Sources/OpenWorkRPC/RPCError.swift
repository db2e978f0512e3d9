public import OpenWorkJSON

/// The one error type that crosses the wire: a JSON-RPC error object whose `data.kind` is a stable
/// snake_case string clients can switch on.
///
/// Codes `-32700…-32600` are the spec's, `-32800` is the Language Server Protocol's "request cancelled", and
/// domain errors use the server range `-32000…-32099`.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String
    /// Always an object holding at least `kind`.
    public var data: JSONValue

    public var kind: String { data["kind"]?.stringValue ?? "unknown" }

    public init(code: Int, message: String, kind: String, details: [String: JSONValue] = [:]) {
        self.code = code
        self.message = message
        var data = details
        data["kind"] = .string(kind)
        self.data = .object(data)
    }

    public var description: String { "\(message) [\(kind), \(code)]" }

    /// The longest string an error carries on the wire, in its message or anywhere in `data`.
    public static let maximumEchoBytes = 4_096

    /// This error with every string longer than ``maximumEchoBytes`` cut (a marker says how long it was), so an
    /// error about a multi-megabyte parameter never sends the parameter back.
    public var bounded: RPCError {
        var copy = self
        copy.message = Self.truncated(message)
        copy.data = Self.bounded(data)
        return copy
    }

    private static func bounded(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(truncated(text))
        case .array(let elements): .array(elements.map(bounded))
        case .object(let members): .object(members.mapValues(bounded))
        default: value
        }
    }

    private static func truncated(_ text: String) -> String {
        let length = text.utf8.count
        guard length > maximumEchoBytes else { return text }
        var kept = Array(text.utf8.prefix(maximumEchoBytes))
        // Cut at a scalar boundary: drop a partial UTF-8 sequence at the end.
        if let lead = kept.lastIndex(where: { $0 & 0xC0 != 0x80 }), kept[lead] >= 0xC0 {
            let needed = kept[lead] >= 0xF0 ? 4 : kept[lead] >= 0xE0 ? 3 : 2
            if kept.count - lead < needed { kept.removeSubrange(lead...) }
        }
        return String(decoding: kept, as: UTF8.self) + "… (\(length) bytes)"
    }

    /// The error as the `error` member of a response.
    public var json: JSONValue {
        ["code": .integer(Int64(code)), "message": .string(message), "data": data]
    }
}

extension RPCError {
    public static func parseError(_ message: String, details: [String: JSONValue] = [:]) -> RPCError {
        RPCError(code: -32_700, message: message, kind: "parse_error", details: details)
    }

    public static func invalidRequest(_ message: String, kind: String = "invalid_request") -> RPCError {
        RPCError(code: -32_600, message: message, kind: kind)
    }

    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(
            code: -32_601, message: "method not found: \(method)", kind: "method_not_found",
            details: ["method": .string(method)])
    }

    public static func invalidParams(_ message: String) -> RPCError {
        RPCError(code: -32_602, message: message, kind: "invalid_params")
    }

    public static func internalError(_ message: String) -> RPCError {
        RPCError(code: -32_603, message: message, kind: "internal_error")
    }

    public static let requestCancelled = RPCError(
        code: -32_800, message: "request cancelled", kind: "request_cancelled")

    /// A domain error in the server range; `kind` names it for clients.
    public static func domain(
        _ kind: String,
        _ message: String,
        code: Int = -32_000,
        details: [String: JSONValue] = [:]
    ) -> RPCError {
        RPCError(code: code, message: message, kind: kind, details: details)
    }
}

/// An error that knows which ``RPCError`` it becomes on the wire. Domain modules conform their errors here,
/// in one place, so the dispatcher never guesses.
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}
