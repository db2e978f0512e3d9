public import OpenWorkJSON

/// The methods a server answers: the single source of truth from which dispatch and the OpenRPC document
/// (`rpc.discover`) are both derived, so the two cannot drift apart.
///
/// `rpc.discover` is always present, and `$/cancelRequest` (answered by the ``Dispatcher`` itself) is always
/// documented. The table knows nothing about what the methods do.
public struct MethodTable: Sendable {
    public var title: String
    public var version: String
    /// Shared schemas, referenced from the methods' schemas as `#/components/schemas/<name>` (``ref(_:)``).
    public var schemas: [String: JSONValue] = [:]
    /// Notifications the server sends to its clients (`event`), documented beside the methods.
    public var notifications: [RPCNotification] = []
    /// How the messages travel (the `x-transport` extension of the document).
    public var transport: JSONValue?
    private var methods: [String: RPCMethod] = [:]

    public init(title: String, version: String) {
        self.title = title
        self.version = version
    }

    /// Adds or replaces a method.
    public mutating func register(_ method: RPCMethod) {
        methods[method.name] = method
    }

    public subscript(name: String) -> RPCMethod? {
        if name == Self.discover { return discoverMethod }
        return methods[name]
    }

    /// The names served, sorted, including `rpc.discover`.
    public var names: [String] { (Array(methods.keys) + [Self.discover]).sorted() }

    /// Every method with its documentation, `rpc.discover` included, sorted by name.
    public var documentedMethods: [RPCMethod] {
        (Array(methods.values) + [Self.discoverDescription { _ in [:] }]).sorted { $0.name < $1.name }
    }

    public static let discover = "rpc.discover"
    public static let cancel = "$/cancelRequest"

    /// `{"$ref": "#/components/schemas/<name>"}`.
    public static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    private var discoverMethod: RPCMethod {
        let document = openRPCDocument
        return Self.discoverDescription { _ in document }
    }

    private static func discoverDescription(_ handler: @escaping RPCMethod.Handler) -> RPCMethod {
        RPCMethod(
            discover,
            summary: "Describes every method of this server as an OpenRPC document.",
            description: """
                The document lists every method with its params, result schema, errors and examples; shared \
                schemas live in `components.schemas`, the notifications the server sends in `x-notifications`, \
                and the framing in `x-transport`.
                """,
            result: RPCResultDescription(
                "OpenRPC document",
                schema: [
                    "type": "object", "required": ["openrpc", "info", "methods"],
                    "properties": [
                        "openrpc": ["type": "string"], "info": ["type": "object"], "methods": ["type": "array"],
                        "components": ["type": "object"], "x-transport": ["type": "object"],
                        "x-notifications": ["type": "array"],
                    ],
                    "additionalProperties": true,
                ]),
            handler: handler
        ).documented(
            errors: [],
            examples: [
                RPCExample(
                    "the document",
                    result: ["openrpc": "1.3.2", "info": ["title": "openwork", "version": "1"], "methods": []])
            ])
    }

    /// The errors of the protocol itself, in `components.errors`, by kind.
    public static let protocolErrors: [RPCErrorDescription] = [
        RPCErrorDescription(code: -32_700, kind: "parse_error", message: "the message is not JSON"),
        RPCErrorDescription(code: -32_600, kind: "invalid_request", message: "not a JSON-RPC 2.0 request"),
        RPCErrorDescription(
            code: -32_600, kind: "line_too_long", message: "a stdio line longer than --max-line-bytes"),
        RPCErrorDescription(code: -32_601, kind: "method_not_found", message: "no method by that name"),
        RPCErrorDescription(code: -32_602, kind: "invalid_params", message: "a param is missing, unknown or mistyped"),
        RPCErrorDescription(code: -32_603, kind: "internal_error", message: "the server failed"),
        RPCErrorDescription(
            code: -32_800, kind: "request_cancelled", message: "cancelled by `$/cancelRequest` or the connection"),
    ]

    /// The protocol errors every method can answer with, referenced from each method's `errors`.
    static let everyMethodErrors = ["invalid_params", "internal_error", "request_cancelled"]

    /// The OpenRPC 1.3 document describing every method.
    public var openRPCDocument: JSONValue {
        var entries = documentedMethods.map { method in Self.entry(method) }
        entries.append(Self.cancelEntry)
        var components: [String: JSONValue] = [
            "errors": .object(
                Dictionary(uniqueKeysWithValues: Self.protocolErrors.map { ($0.kind, $0.json) }))
        ]
        if !schemas.isEmpty { components["schemas"] = .object(schemas) }
        var document: [String: JSONValue] = [
            "openrpc": "1.3.2",
            "info": ["title": .string(title), "version": .string(version)],
            "methods": .array(entries),
            "components": .object(components),
        ]
        if let transport { document["x-transport"] = transport }
        if !notifications.isEmpty { document["x-notifications"] = .array(notifications.map(\.json)) }
        return .object(document)
    }

    private static func entry(_ method: RPCMethod) -> JSONValue {
        let references: [JSONValue] = everyMethodErrors.map { ["$ref": .string("#/components/errors/\($0)")] }
        var entry: [String: JSONValue] = [
            "name": .string(method.name),
            "summary": .string(method.summary),
            "paramStructure": "either",
            "params": .array(method.params.map(\.json)),
            "result": ["name": .string(method.result.name), "schema": method.result.schema],
            "errors": .array(references + method.errors.map(\.json)),
        ]
        if !method.description.isEmpty { entry["description"] = .string(method.description) }
        if !method.examples.isEmpty {
            entry["examples"] = .array(
                method.examples.map { example in
                    [
                        "name": .string(example.name),
                        "params": .array(
                            method.params.compactMap { parameter in
                                example.params[parameter.name].map { value in
                                    ["name": .string(parameter.name), "value": value]
                                }
                            }),
                        "result": ["name": .string(method.result.name), "value": example.result],
                    ]
                })
        }
        return .object(entry)
    }

    /// `$/cancelRequest`: handled by the dispatcher, documented as a notification (no result).
    private static let cancelEntry: JSONValue = [
        "name": .string(cancel),
        "summary": "Cancels a running request; send it as a notification.",
        "description": """
        The request named by `id` ends with `request_cancelled` (-32800) unless it already answered. Sent with \
        an id of its own it is answered with `null`. Over `POST /rpc` each request has its own HTTP exchange: \
        closing that connection cancels it.
        """,
        "paramStructure": "either",
        "params": [
            [
                "name": "id", "summary": "the id of the request to cancel", "required": true,
                "schema": ["type": ["string", "integer"]],
            ]
        ],
    ]
}

/// A notification the server sends to a client, documented in the `x-notifications` extension.
public struct RPCNotification: Sendable, Hashable {
    public var name: String
    public var summary: String
    /// The schema of its `params`.
    public var params: JSONValue

    public init(_ name: String, summary: String, params: JSONValue) {
        self.name = name
        self.summary = summary
        self.params = params
    }

    var json: JSONValue {
        ["name": .string(name), "summary": .string(summary), "params": ["name": "params", "schema": params]]
    }
}

extension RPCParameter {
    /// The OpenRPC content descriptor.
    var json: JSONValue {
        ["name": .string(name), "summary": .string(summary), "required": .bool(required), "schema": schema]
    }
}
