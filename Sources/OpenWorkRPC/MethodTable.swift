public import OpenWorkJSON

/// The methods a server answers: the single source of truth from which dispatch and the OpenRPC document
/// (`rpc.discover`) are both derived, so the two cannot drift apart.
///
/// `rpc.discover` is always present. The table knows nothing about what the methods do.
public struct MethodTable: Sendable {
    public var title: String
    public var version: String
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

    public static let discover = "rpc.discover"

    private var discoverMethod: RPCMethod {
        let document = openRPCDocument
        return RPCMethod(
            Self.discover,
            summary: "Describes every method of this server as an OpenRPC document.",
            result: RPCResultDescription("OpenRPC document", schema: ["type": "object"])
        ) { _ in document }
    }

    /// The OpenRPC 1.3 document describing every method.
    public var openRPCDocument: JSONValue {
        var described = methods
        described[Self.discover] = RPCMethod(
            Self.discover,
            summary: "Describes every method of this server as an OpenRPC document.",
            result: RPCResultDescription("OpenRPC document", schema: ["type": "object"])
        ) { _ in [:] }
        let entries: [JSONValue] = described.keys.sorted().compactMap { name in
            guard let method = described[name] else { return nil }
            var entry: [String: JSONValue] = [
                "name": .string(method.name),
                "summary": .string(method.summary),
                "paramStructure": "either",
                "params": .array(
                    method.params.map { parameter in
                        [
                            "name": .string(parameter.name),
                            "summary": .string(parameter.summary),
                            "required": .bool(parameter.required),
                            "schema": parameter.schema,
                        ]
                    }
                ),
                "result": ["name": .string(method.result.name), "schema": method.result.schema],
            ]
            if !method.description.isEmpty { entry["description"] = .string(method.description) }
            return .object(entry)
        }
        return [
            "openrpc": "1.3.2",
            "info": ["title": .string(title), "version": .string(version)],
            "methods": .array(entries),
        ]
    }
}
