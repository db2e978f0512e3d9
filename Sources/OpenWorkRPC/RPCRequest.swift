public import OpenWorkJSON

/// A valid JSON-RPC 2.0 request or notification.
public struct RPCRequest: Sendable, Hashable {
    /// `nil` for a notification (no `id` member at all); ``RequestID/null`` for an explicit `"id": null`.
    public var id: RequestID?
    public var method: String
    /// An object or an array, when present.
    public var params: JSONValue?

    public init(id: RequestID?, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }

    public var isNotification: Bool { id == nil }

    /// The request as JSON, for clients.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let id { members["id"] = id.json }
        if let params { members["params"] = params }
        return .object(members)
    }
}

extension RPCRequest {
    /// Validates one element of a message against the spec.
    ///
    /// - Returns: the request, or the error to answer with and the id to answer it under (`null` when the id
    ///   itself is unusable).
    public static func validate(_ json: JSONValue) -> Result<RPCRequest, InvalidMessage> {
        guard case .object(let members) = json else {
            return .failure(InvalidMessage(id: .null, error: .invalidRequest("a request must be a JSON object")))
        }
        var id: RequestID?
        if let rawID = members["id"] {
            guard let valid = RequestID(rawID) else {
                return .failure(
                    InvalidMessage(id: .null, error: .invalidRequest("id must be a string, number or null")))
            }
            // An id is echoed in the answer; one this long is a mistake or an attack, and is not sent back.
            if case .string(let text) = rawID, text.utf8.count > RequestID.maximumStringBytes {
                return .failure(
                    InvalidMessage(
                        id: .null,
                        error: .invalidRequest("id longer than \(RequestID.maximumStringBytes) bytes")))
            }
            id = valid
        }
        let answerID = id ?? .null
        guard members["jsonrpc"] == "2.0" else {
            return .failure(InvalidMessage(id: answerID, error: .invalidRequest("jsonrpc must be exactly \"2.0\"")))
        }
        guard case .string(let method) = members["method"] else {
            return .failure(InvalidMessage(id: answerID, error: .invalidRequest("method must be a string")))
        }
        let params = members["params"]
        switch params {
        case nil, .array?, .object?: break
        default:
            return .failure(
                InvalidMessage(id: answerID, error: .invalidRequest("params must be an object or an array")))
        }
        return .success(RPCRequest(id: id, method: method, params: params))
    }

    /// Why a message was not a valid request, and the id to answer under.
    public struct InvalidMessage: Error, Sendable, Hashable {
        public var id: RequestID
        public var error: RPCError
    }
}
