import OpenWorkJSON
import OpenWorkRPC

/// The methods used by the examples of the JSON-RPC 2.0 specification, plus a few to provoke each error path.
enum SpecFixture {
    struct Subtract: Decodable {
        var minuend: Int
        var subtrahend: Int
    }

    struct Failure: Error {}

    struct Domain: RPCErrorConvertible {
        var rpcError: RPCError { .domain("workspace_not_found", "no such workspace", code: -32_004) }
    }

    static var table: MethodTable {
        var table = MethodTable(title: "spec", version: "1")
        table.register(
            RPCMethod(
                "subtract", summary: "minuend - subtrahend",
                params: [.integer("minuend", "a"), .integer("subtrahend", "b")],
                result: RPCResultDescription("difference", schema: ["type": "integer"]), decoding: Subtract.self
            ) { $0.minuend - $0.subtrahend }
        )
        table.register(
            RPCMethod(
                "sum", summary: "adds up to three numbers",
                params: ["a", "b", "c"].map { .integer($0, $0, required: false) },
                result: RPCResultDescription("sum", schema: ["type": "integer"])
            ) { call in
                .integer(["a", "b", "c"].compactMap { call.params[$0]?.int64Value }.reduce(0, +))
            }
        )
        for name in ["update", "notify_hello", "notify_sum"] {
            table.register(
                RPCMethod(
                    name, summary: name,
                    params: ["a", "b", "c", "d", "e"].map { .integer($0, $0, required: false) },
                    result: RPCResultDescription("nothing", schema: [:])
                ) { _ in .null }
            )
        }
        table.register(
            RPCMethod("get_data", summary: "data", result: RPCResultDescription("data", schema: [:])) { _ in
                ["hello", 5]
            }
        )
        table.register(
            RPCMethod("throws.generic", summary: "", result: .init("", schema: [:])) { _ in throw Failure() }
        )
        table.register(
            RPCMethod("throws.domain", summary: "", result: .init("", schema: [:])) { _ in throw Domain() }
        )
        table.register(
            RPCMethod("returns.nan", summary: "", result: .init("", schema: [:])) { _ in [.double(.nan)] }
        )
        table.register(
            RPCMethod(
                "sleep", summary: "", params: [.integer("ms", "")], result: .init("", schema: [:])
            ) { call in
                try await Task.sleep(for: .milliseconds(call.params["ms"]?.intValue ?? 0))
                return "slept"
            }
        )
        table.register(
            RPCMethod("rendezvous", summary: "", params: [.integer("n", "")], result: .init("", schema: [:])) { call in
                // Completes only once `n` calls are inside at the same time (or fails after 10 s).
                let count = call.params["n"]?.intValue ?? 1
                await Rendezvous.shared.arrive()
                let deadline = ContinuousClock.now + .seconds(10)
                while await Rendezvous.shared.arrived < count {
                    guard ContinuousClock.now < deadline else { throw Failure() }
                    try await Task.sleep(for: .milliseconds(1))
                }
                return "met"
            }
        )
        return table
    }

    actor Rendezvous {
        static let shared = Rendezvous()
        private(set) var arrived = 0
        func arrive() { arrived += 1 }
    }

    /// A response reduced to what the spec fixes: `jsonrpc`, `id`, and `result` or `error.code`.
    static func skeleton(_ value: JSONValue?) -> JSONValue? {
        guard let value else { return nil }
        if case .array(let elements) = value { return .array(elements.compactMap(skeleton)) }
        guard case .object(var members) = value else { return value }
        if let code = members["error"]?["code"] { members["error"] = ["code": code] }
        return .object(members)
    }
}
