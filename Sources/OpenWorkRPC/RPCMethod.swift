public import OpenWorkJSON

/// One named parameter of a method, as documented in the OpenRPC document.
public struct RPCParameter: Sendable, Hashable {
    public var name: String
    public var summary: String
    /// A JSON Schema for the value.
    public var schema: JSONValue
    public var required: Bool

    public init(_ name: String, _ summary: String, schema: JSONValue, required: Bool = true) {
        self.name = name
        self.summary = summary
        self.schema = schema
        self.required = required
    }

    public static func string(_ name: String, _ summary: String, required: Bool = true) -> RPCParameter {
        RPCParameter(name, summary, schema: ["type": "string"], required: required)
    }

    public static func integer(_ name: String, _ summary: String, required: Bool = true) -> RPCParameter {
        RPCParameter(name, summary, schema: ["type": "integer"], required: required)
    }
}

/// What a method returns, as documented in the OpenRPC document.
public struct RPCResultDescription: Sendable, Hashable {
    public var name: String
    public var schema: JSONValue

    public init(_ name: String, schema: JSONValue) {
        self.name = name
        self.schema = schema
    }
}

/// An error a method can answer with, as the OpenRPC document lists it: its code and its `data.kind`.
public struct RPCErrorDescription: Sendable, Hashable {
    public var code: Int
    public var kind: String
    /// What it means, in a few words.
    public var message: String

    public init(code: Int, kind: String, message: String) {
        self.code = code
        self.kind = kind
        self.message = message
    }

    /// The OpenRPC error object: `{code, message, data: {kind}}`.
    public var json: JSONValue {
        ["code": .integer(Int64(code)), "message": .string(message), "data": ["kind": .string(kind)]]
    }
}

/// One example call of a method: named params and the result they give.
public struct RPCExample: Sendable, Hashable {
    public var name: String
    public var params: [String: JSONValue]
    public var result: JSONValue

    public init(_ name: String, params: [String: JSONValue] = [:], result: JSONValue) {
        self.name = name
        self.params = params
        self.result = result
    }
}

/// A request as a handler sees it: the method, the id (nil for a notification) and the params, always an
/// object (positional params are mapped to the declared names; absent params are `{}`).
public struct RPCCall: Sendable {
    public var id: RequestID?
    public var method: String
    public var params: JSONValue
    /// The connection the call came from, for methods that push notifications; `nil` in-process.
    public var session: RPCSession?

    public init(id: RequestID?, method: String, params: JSONValue = [:], session: RPCSession? = nil) {
        self.id = id
        self.method = method
        self.params = params
        self.session = session
    }

    /// Decodes the params as `P`, turning failures into `-32602` errors that say where and why.
    public func decode<P: Decodable>(_ type: P.Type = P.self) throws(RPCError) -> P {
        do {
            return try params.decode(type)
        } catch {
            throw .invalidParams("invalid params for \(method): \(JSONValue.decodingFailureDescription(error))")
        }
    }
}

/// A method of the table: its documentation and its handler.
public struct RPCMethod: Sendable {
    public typealias Handler = @Sendable (RPCCall) async throws -> JSONValue

    public var name: String
    public var summary: String
    public var description: String
    public var params: [RPCParameter]
    public var result: RPCResultDescription
    /// The domain errors it can answer with, beyond the protocol's (`invalid_params`, `internal_error`,
    /// `request_cancelled`), which every method can.
    public var errors: [RPCErrorDescription] = []
    public var examples: [RPCExample] = []
    public var handler: Handler

    public init(
        _ name: String,
        summary: String,
        description: String = "",
        params: [RPCParameter] = [],
        result: RPCResultDescription,
        handler: @escaping Handler
    ) {
        self.name = name
        self.summary = summary
        self.description = description
        self.params = params
        self.result = result
        self.handler = handler
    }

    /// This method, documented with the errors it can answer with and example calls.
    public func documented(errors: [RPCErrorDescription], examples: [RPCExample]) -> RPCMethod {
        var copy = self
        copy.errors = errors
        copy.examples = examples
        return copy
    }

    /// A method whose params decode as `Params` and whose result encodes from `Result`.
    public init<Params: Decodable & SendableMetatype, Result: Encodable & SendableMetatype>(
        _ name: String,
        summary: String,
        description: String = "",
        params: [RPCParameter] = [],
        result: RPCResultDescription,
        decoding: Params.Type,
        handler: @escaping @Sendable (Params) async throws -> Result
    ) {
        self.init(name, summary: summary, description: description, params: params, result: result) { call in
            let decoded = try call.decode(Params.self)
            return try JSONValue(encoding: try await handler(decoded))
        }
    }

    /// Normalizes the request's params to an object: positional params are mapped to the declared names, and
    /// a member that is not declared is refused (a misspelt name should not be silently ignored).
    func normalizedParams(_ params: JSONValue?) throws(RPCError) -> JSONValue {
        switch params {
        case nil:
            return [:]
        case .array(let values)?:
            guard values.count <= self.params.count else {
                throw .invalidParams(
                    "\(name) takes at most \(self.params.count) positional params, got \(values.count)")
            }
            var members: [String: JSONValue] = [:]
            for (parameter, value) in zip(self.params, values) { members[parameter.name] = value }
            return .object(members)
        case .object(let members)?:
            let declared = Set(self.params.map(\.name))
            if let unknown = members.keys.sorted().first(where: { !declared.contains($0) }) {
                let expected = self.params.isEmpty ? "none" : self.params.map(\.name).joined(separator: ", ")
                throw .invalidParams("\(name) has no param \"\(unknown)\" (params: \(expected))")
            }
            return .object(members)
        default:
            throw .invalidRequest("params must be an object or an array")
        }
    }
}

/// Params for methods that take none.
public struct NoParams: Decodable, Sendable {
    public init() {}
}
