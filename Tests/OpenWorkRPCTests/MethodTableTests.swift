import OpenWorkJSON
import OpenWorkRPC
import Testing

@Suite("Method table and rpc.discover")
struct MethodTableTests {
    @Test("rpc.discover returns an OpenRPC document listing exactly the served methods")
    func discover() async throws {
        let table = SpecFixture.table
        let dispatcher = Dispatcher(table: table)
        let response = try #require(
            await dispatcher.handle(RPCRequest(id: 1, method: "rpc.discover"))
        )
        let document = try response.outcome.get()
        #expect(document["openrpc"] == "1.3.2")
        #expect(document["info"]?["title"] == "spec")
        let names = document["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names == table.names + [MethodTable.cancel], "the served methods, then `$/cancelRequest`")
        #expect(names.contains("rpc.discover"))
        let subtract = document["methods"]?.arrayValue?.first { $0["name"] == "subtract" }
        #expect(subtract?["params"]?[0]?["name"] == "minuend")
        #expect(subtract?["params"]?[0]?["schema"] == ["type": "integer"])
        #expect(subtract?["result"]?["name"] == "difference")
    }

    @Test("every method named in the document dispatches (no drift)")
    func noDrift() async throws {
        let table = SpecFixture.table
        let dispatcher = Dispatcher(table: table)
        for entry in table.openRPCDocument["methods"]?.arrayValue ?? [] {
            let name = try #require(entry["name"]?.stringValue)
            let response = await dispatcher.handle(RPCRequest(id: 1, method: name, params: [:]))
            if case .failure(let error)? = response?.outcome {
                #expect(error.code != -32_601, "\(name) is documented but not served")
            }
        }
    }

    @Test("a method registered twice keeps the last registration")
    func replace() async throws {
        var table = MethodTable(title: "t", version: "1")
        table.register(RPCMethod("m", summary: "one", result: .init("", schema: [:])) { _ in 1 })
        table.register(RPCMethod("m", summary: "two", result: .init("", schema: [:])) { _ in 2 })
        let response = await Dispatcher(table: table).handle(RPCRequest(id: 1, method: "m"))
        #expect(try response?.outcome.get() == 2)
        #expect(table.names == ["m", "rpc.discover"])
    }
}
