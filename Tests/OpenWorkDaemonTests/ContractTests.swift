import Foundation
import OpenWorkDaemon
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The integrator's contract: the OpenRPC document is complete and valid (the official meta-schema), the OpenAPI
/// document of the control plane is valid (openapi-spec-validator), and every answer and event the engine
/// produces here fits the schema the document declares for it (jsonschema, every object closed).
@Suite("The integrator's contract")
struct ContractTests {
    /// The daemon's table: every method, `daemon.shutdown` and the `test.*` ones included.
    static let table = {
        var table = Operations.table(Operations.Configuration(testMethods: true))
        table.register(Daemon.shutdownMethod {})
        return table
    }()
    static let document = table.openRPCDocument

    // MARK: Completeness (no tool needed)

    /// A method added without a real result schema, documented params, errors or examples fails here.
    @Test("every method has a result schema that says something, documented params, errors and an example")
    func everyMethodIsDocumented() throws {
        // test.fail only fails: it has no example result.
        let withoutExamples: Set = ["test.fail"]
        for method in Self.table.documentedMethods {
            let schema = method.result.schema
            #expect(schema != [:] && schema != ["type": "object"], "\(method.name): a bare result schema")
            if schema["type"] == "object" {
                let says = ["properties", "allOf", "$ref", "additionalProperties"].contains { schema[$0] != nil }
                #expect(says, "\(method.name): an object result without members")
            }
            #expect(!method.summary.isEmpty, "\(method.name): no summary")
            for parameter in method.params {
                #expect(!parameter.summary.isEmpty, "\(method.name).\(parameter.name): no summary")
                #expect(parameter.schema != [:], "\(method.name).\(parameter.name): no schema")
            }
            if !withoutExamples.contains(method.name) {
                #expect(!method.examples.isEmpty, "\(method.name): no example")
            }
            for example in method.examples {
                let unknown = Set(example.params.keys).subtracting(method.params.map(\.name))
                #expect(unknown.isEmpty, "\(method.name) example \(example.name): unknown params \(unknown)")
            }
        }
        let entries = Self.document["methods"]?.arrayValue ?? []
        for entry in entries where entry["name"] != "$/cancelRequest" {
            let errors = entry["errors"]?.arrayValue ?? []
            #expect(errors.count > 0, "\(entry["name"] ?? .null): no errors listed")
        }
    }

    @Test("shared schemas are referenced, not repeated; every reference resolves")
    func referencesResolve() throws {
        let text = try Self.document.serialized(.compact)
        let schemas = try #require(Self.document["components"]?["schemas"]?.objectValue)
        for name in ["Workspace", "Lease", "OpenCodeStatus", "Approval", "Event", "ErrorData", "HostService"] {
            #expect(schemas[name] != nil, "components.schemas.\(name)")
        }
        var references: Set<String> = []
        var rest = Substring(text)
        while let range = rest.range(of: ##""$ref":"#/components/"##) {
            let tail = rest[range.upperBound...]
            let end = tail.firstIndex(of: "\"") ?? tail.endIndex
            references.insert(String(tail[..<end]))
            rest = tail[end...]
        }
        #expect(references.contains("schemas/Workspace"))
        for reference in references {
            let parts = reference.split(separator: "/").map(String.init)
            #expect(Self.document["components"]?[parts[0]]?[parts[1]] != nil, "#/components/\(reference)")
        }
        // The workspace shape is written once, in components: no method's schema repeats it.
        for method in Self.table.documentedMethods {
            let schemas = try ([method.result.schema] + method.params.map(\.schema)).map { try $0.serialized(.compact) }
            #expect(!schemas.contains { $0.contains(#""workspaceType""#) }, "\(method.name) repeats the workspace")
        }
    }

    @Test("the event notification is a union discriminated on type; cancellation and the transport are documented")
    func notificationsAndTransport() throws {
        let notification = try #require(Self.document["x-notifications"]?[0])
        #expect(notification["name"] == "event")
        let variants = try #require(Self.document["components"]?["schemas"]?["Event"]?["oneOf"]?.arrayValue)
        #expect(variants.count >= 30)
        for variant in variants {
            let name = try #require(variant["$ref"]?.stringValue?.split(separator: "/").last.map(String.init))
            let schema = try #require(Self.document["components"]?["schemas"]?[name])
            #expect(schema["properties"]?["type"]?["const"]?.stringValue == String(name.dropFirst("Event.".count)))
        }
        let cancel = Self.document["methods"]?.arrayValue?.first { $0["name"] == "$/cancelRequest" }
        #expect(cancel?["params"]?[0]?["name"] == "id")
        #expect(cancel?["result"] == nil, "a notification has no result")
        #expect(Self.document["x-transport"]?["stdio"]?["framing"] != nil)
        #expect(Self.document["x-transport"]?["http"]?["endpoint"] != nil)
    }

    @Test("every route of the OpenAPI document is a row of the table, with its method's result schema")
    func openAPIComesFromTheRouteTable() throws {
        let openAPI = RESTRoute.openAPIDocument(methods: Self.table)
        let paths = try #require(openAPI["paths"]?.objectValue)
        var operations = 0
        for (_, item) in paths { operations += item.objectValue?.count ?? 0 }
        #expect(operations == RESTRoute.table.count)
        let info = try #require(paths["/workspaces/{id}/path"]?["get"])
        #expect(
            info["responses"]?["200"]?["content"]?["application/json"]?["schema"]
                == Self.table["workspace.path"]?.result.schema)
        #expect(info["parameters"]?[0]?["in"] == "path")
        #expect(
            info["responses"]?["404"]?["content"]?["application/json"]?["schema"]?["$ref"]
                == "#/components/schemas/ErrorBody")
        #expect(paths["/health"]?["get"]?["security"] == [], "GET /health needs no token")
        #expect(openAPI["components"]?["securitySchemes"]?["bearer"]?["scheme"] == "bearer")
        #expect(
            openAPI["components"]?["schemas"]?["Workspace"] == Self.document["components"]?["schemas"]?["Workspace"])
    }

    // MARK: Validators we did not write

    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func openRPCDocumentPassesTheMetaSchemaAndItsExamplesFit() async throws {
        let directory = try TemporaryDirectory("contract")
        let run = try await ContractCheck.document(Self.document, in: directory)
        #expect(run.passed, "\(run.output)")
        let counts = try #require(ContractCheck.counts(run.output), "\(run.output)")
        #expect(counts.passed > Self.table.documentedMethods.count, "the document and each example: \(run.output)")
    }

    /// The checks are not vacuous: a method without a name, and an example that breaks its own schema, fail.
    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func brokenDocumentsFail() async throws {
        let directory = try TemporaryDirectory("contract")
        var nameless = Self.document
        var methods = try #require(nameless["methods"]?.arrayValue)
        methods[0]["name"] = nil
        nameless["methods"] = .array(methods)
        let refused = try await ContractCheck.document(nameless, in: directory)
        #expect(!refused.passed)
        #expect(refused.output.contains("meta-schema"), "\(refused.output)")

        var table = Self.table
        let health = try #require(table["health"])
        table.register(health.documented(errors: [], examples: [RPCExample("wrong", result: ["ok": "yes"])]))
        let wrong = try await ContractCheck.document(table.openRPCDocument, in: directory)
        #expect(!wrong.passed)
        #expect(wrong.output.contains("health example 'wrong'"), "\(wrong.output)")
    }

    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func openAPIDocumentPassesOpenAPISpecValidator() async throws {
        let directory = try TemporaryDirectory("contract")
        let path = try ContractCheck.write(
            RESTRoute.openAPIDocument(methods: Self.table), to: "openapi.json", in: directory)
        let run = try await ContractCheck.run(["-m", "openapi_spec_validator", "--validation-errors", "all", path])
        #expect(run.passed, "\(run.output)")
    }

    /// A trace line with a member the document does not describe, or an undeclared error kind, fails.
    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func traceCheckRefusesUndescribedAnswers() async throws {
        let directory = try TemporaryDirectory("contract")
        let lines: [JSONValue] = [
            ["method": "instance.release", "response": ["jsonrpc": "2.0", "id": 1, "result": ["released": true]]],
            [
                "method": "instance.release",
                "response": ["jsonrpc": "2.0", "id": 2, "result": ["released": true, "surprise": 1]],
            ],
            [
                "method": "instance.release",
                "response": [
                    "jsonrpc": "2.0", "id": 3,
                    "error": ["code": -32_001, "message": "no", "data": ["kind": "workspace_not_found"]],
                ],
            ],
            ["notification": ["jsonrpc": "2.0", "method": "event", "params": ["type": "made.up", "time": 1]]],
        ]
        let trace = directory.appending("trace.jsonl")
        let text = try lines.map { try $0.serialized(.compact) }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: trace))
        let run = try await ContractCheck.trace(Self.document, [trace], in: directory)
        #expect(!run.passed)
        let counts = try #require(ContractCheck.counts(run.output), "\(run.output)")
        #expect(counts.passed == 1 && counts.failed >= 3, "\(run.output)")
        #expect(run.output.contains("surprise"), "\(run.output)")
        #expect(run.output.contains("workspace_not_found"), "\(run.output)")
    }
}
