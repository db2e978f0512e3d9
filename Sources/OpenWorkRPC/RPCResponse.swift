public import OpenWorkJSON

/// A JSON-RPC 2.0 response: a result or an error, under the request's id.
public struct RPCResponse: Sendable, Hashable {
    public var id: RequestID
    public var outcome: Result<JSONValue, RPCError>

    public init(id: RequestID, outcome: Result<JSONValue, RPCError>) {
        self.id = id
        self.outcome = outcome
    }

    public static func error(_ error: RPCError, id: RequestID = .null) -> RPCResponse {
        RPCResponse(id: id, outcome: .failure(error))
    }

    /// The response as JSON; an error's strings are ``RPCError/bounded``.
    public var json: JSONValue {
        switch outcome {
        case .success(let result): ["jsonrpc": "2.0", "id": id.json, "result": result]
        case .failure(let error): ["jsonrpc": "2.0", "id": id.json, "error": error.bounded.json]
        }
    }

    /// Reads a response sent by a server (for clients and tests).
    public init?(json: JSONValue) {
        guard json["jsonrpc"] == "2.0", let rawID = json["id"], let id = RequestID(rawID) else { return nil }
        if let result = json["result"], json["error"] == nil {
            self.init(id: id, outcome: .success(result))
        } else if let error = json["error"], let code = error["code"]?.intValue,
            let message = error["message"]?.stringValue
        {
            let data = error["data"]?.objectValue ?? [:]
            var rpcError = RPCError(code: code, message: message, kind: data["kind"]?.stringValue ?? "unknown")
            rpcError.data = error["data"] ?? rpcError.data
            self.init(id: id, outcome: .failure(rpcError))
        } else {
            return nil
        }
    }
}
