import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Testing

@testable import fake_opencode

/// `GET /doc`: the OpenAPI 3.1 document, checked by validators we did not write (openapi-spec-validator,
/// jsonschema; see `scripts/ensure-python-tools.sh`), by its own consistency, and against the fake's routes and
/// answers.
@Suite("fake-opencode: the OpenAPI document")
struct OpenAPIDocumentTests {
    static let document = OpenAPIDocument.make()

    // MARK: Third-party validators

    @Test(.enabled(if: PythonTools.shouldRun, PythonTools.missingReason))
    func servedDocumentPassesOpenAPISpecValidator() async throws {
        guard PythonTools.require() else { return }
        let server = try await Subject.fake.start()
        let response = try await server.client.get("/doc")
        await server.stop()
        #expect(response.status == 200)
        #expect(try response.json()["openapi"] == "3.1.1")
        #expect(try response.json()["info"]?["title"] == "opencode")
        let directory = try TemporaryDirectory()
        let file = try PythonTools.write(response.body, to: "openapi.json", in: directory)
        let run = try await PythonTools.run(["-m", "openapi_spec_validator", "--validation-errors", "all", file])
        #expect(run.succeeded, "openapi-spec-validator: \(run.exit)\n\(run.output)")
    }

    /// The validator is not vacuous: an operation that leaves its path parameter undeclared is refused.
    @Test(.enabled(if: PythonTools.shouldRun, PythonTools.missingReason))
    func openAPISpecValidatorRefusesAnUndeclaredPathParameter() async throws {
        guard PythonTools.require() else { return }
        var broken = Self.document
        broken["paths"]?["/session/{sessionID}"]?["get"]?["parameters"] = []
        let directory = try TemporaryDirectory()
        let file = try PythonTools.write(broken, to: "broken.json", in: directory)
        let run = try await PythonTools.run(["-m", "openapi_spec_validator", file])
        #expect(!run.succeeded)
        #expect(run.output.contains("sessionID"), "\(run.output)")
    }

    /// Real answers of the fake, each validated by jsonschema (draft 2020-12) against the schema the document
    /// gives that operation and status, errors included.
    @Test(.enabled(if: PythonTools.shouldRun, PythonTools.missingReason))
    func answersFitTheDocumentsSchemas() async throws {
        guard PythonTools.require() else { return }
        let root = try TemporaryDirectory()
        let server = try await Subject.fake(knobs: ["INTROSPECTION": "1"])
        let client = server.client
        let query = "?" + Shapes.directoryQuery(root.path)
        var samples: [JSONValue] = []
        samples.append(try await Self.sample(client, "GET", "/global/health", "/global/health"))
        samples.append(try await Self.sample(client, "GET", "/path", "/path" + query))
        samples.append(try await Self.sample(client, "GET", "/config", "/config" + query))
        let created = try await Self.sample(client, "POST", "/session", "/session" + query, body: ["title": "shapes"])
        samples.append(created)
        let sessionID = try #require(created["body"]?["id"]?.stringValue, "\(created)")
        let asked: JSONValue = [
            "directory": .string(root.path), "permission": "bash", "patterns": ["ls"], "sessionID": .string(sessionID),
        ]
        _ = try await client.json("POST", "/__fake/permission", body: asked)
        samples.append(try await Self.sample(client, "GET", "/session", "/session" + query))
        samples.append(try await Self.sample(client, "GET", "/session/{sessionID}", "/session/\(sessionID)" + query))
        samples.append(try await Self.sample(client, "GET", "/permission", "/permission" + query))
        let missing = "/session/" + Self.sampleIdentifier("ses") + query
        samples.append(try await Self.sample(client, "GET", "/session/{sessionID}", missing))
        let reply = "/permission/\(Self.sampleIdentifier("per"))/reply" + query
        samples.append(
            try await Self.sample(client, "POST", "/permission/{requestID}/reply", reply, body: ["reply": 1]))
        await server.stop()

        let statuses = samples.compactMap { $0["status"]?.intValue }
        #expect(statuses == [200, 200, 200, 200, 200, 200, 200, 404, 400], "\(samples)")
        #expect(samples[6]["body"]?.arrayValue?.count == 1, "the queued permission request: \(samples[6])")
        try await Self.expectFit(samples)
    }

    /// The first frames of both event streams and a `session.created`, against `Event` and `GlobalEvent`.
    /// Needs every event's `id` and the `sessionID` of session events, as the 1.18 contract has them.
    @Test(.enabled(if: PythonTools.shouldRun, PythonTools.missingReason))
    func eventFramesFitTheDocumentsSchemas() async throws {
        guard PythonTools.require() else { return }
        let root = try TemporaryDirectory()
        let server = try await Subject.fake.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let events = try await server.client.events("/event" + query)
        let global = try await server.client.events("/global/event")
        var frames: [(operation: String, frame: JSONValue)] = []
        frames.append(("GET /event", try await events.nextJSON()))
        frames.append(("GET /global/event", try await global.nextJSON()))
        _ = try await server.client.json("POST", "/session" + query, body: [:])
        frames.append(("GET /event", try await events.nextJSON { $0["type"] == "session.created" }))
        frames.append(("GET /global/event", try await global.nextJSON { $0["payload"]?["type"] == "session.created" }))
        await server.stop()
        let samples: [JSONValue] = frames.map { operation, frame in
            ["operation": .string(operation), "status": 200, "contentType": "text/event-stream", "body": frame]
        }
        try await Self.expectFit(samples)
    }

    // MARK: The document's own consistency

    @Test func everyPathParameterIsDeclaredRequiredInPath() {
        for (name, path, operation) in Self.operations {
            let template = Set(Self.parameterNames(in: path))
            let declared = Self.parameters(of: operation).filter { $0["in"] == "path" }
            #expect(Set(declared.compactMap { $0["name"]?.stringValue }) == template, "\(name)")
            for parameter in declared {
                #expect(parameter["required"] == true, "\(name): \(parameter)")
            }
        }
    }

    @Test func globalOperationsTakeNeitherDirectoryNorWorkspace() {
        for (name, path, operation) in Self.operations where Self.isServerWide(path) {
            let names = Self.parameters(of: operation).compactMap { $0["name"]?.stringValue }
            #expect(!names.contains("directory") && !names.contains("workspace"), "\(name)")
        }
    }

    @Test func instanceOperationsTakeDirectoryAndWorkspace() {
        for (name, path, operation) in Self.operations where !Self.isServerWide(path) {
            for wanted in ["directory", "workspace"] {
                let parameter = Self.parameters(of: operation).first { $0["name"] == .string(wanted) }
                #expect(parameter?["in"] == "query", "\(name): \(wanted)")
                #expect(parameter?["required"] != true, "\(name): \(wanted)")
                #expect(parameter?["schema"]?["type"] == "string", "\(name): \(wanted)")
            }
        }
    }

    @Test func everyReferenceResolvesInsideTheDocument() throws {
        let references = Self.references(in: Self.document)
        #expect(references.count > 50)
        for reference in references {
            #expect(reference.hasPrefix("#/"), "\(reference)")
            #expect(try Self.document.value(atPointer: String(reference.dropFirst())) != nil, "\(reference)")
        }
    }

    @Test func operationIdsAreUniqueAndCoverOpencodes() {
        let ids = Self.operations.compactMap { $0.operation["operationId"]?.stringValue }
        #expect(ids.count == Self.operations.count)
        #expect(Set(ids).count == ids.count, "\(ids.sorted())")
        let upstream = [
            "session.list", "session.create", "session.status", "session.get", "session.delete", "session.update",
            "session.children", "session.prompt_async", "session.abort", "session.messages", "permission.list",
            "permission.reply", "permission.respond", "question.list", "question.reply", "question.reject",
            "project.current", "vcs.get", "global.health", "global.event", "global.dispose", "global.config.get",
            "global.config.update", "path.get", "instance.dispose", "event.subscribe", "config.get", "config.update",
        ]
        #expect(Set(upstream).subtracting(ids).isEmpty, "missing: \(Set(upstream).subtracting(ids).sorted())")
    }

    // MARK: Drift between the document and the fake

    /// Every documented operation is a route of the fake, instance-scoped exactly when the document gives it
    /// `directory`. Fails for the routes of the contract the fake does not serve yet.
    @Test(arguments: OpenAPIDocumentTests.operations.map { $0.name })
    func documentedOperationIsARouteOfTheFake(_ name: String) throws {
        let (_, path, operation) = try #require(Self.operations.first { $0.name == name })
        let method = String(name.prefix { $0 != " " })
        let target = Self.target(of: operation, path: path)
        let route = Route.match(method: method, path: target)
        #expect(route != nil, "\(name) as \(target): no route")
        if let route { #expect(route.isInstanceScoped == !Self.isServerWide(path), "\(name): \(route)") }
    }

    // MARK: Helpers

    /// Every operation of the document: `"GET /session/{sessionID}"`, its path and its JSON.
    static let operations: [(name: String, path: String, operation: JSONValue)] = {
        let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var operations: [(name: String, path: String, operation: JSONValue)] = []
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for method in methods {
                if let operation = item[method] {
                    operations.append((method.uppercased() + " " + path, path, operation))
                }
            }
        }
        return operations.sorted { $0.name < $1.name }
    }()

    /// `/global/*` and `/doc` run on the server as a whole; every other route in a directory's instance.
    static func isServerWide(_ path: String) -> Bool {
        path.hasPrefix("/global/") || path == "/doc"
    }

    static func parameters(of operation: JSONValue) -> [JSONValue] {
        operation["parameters"]?.arrayValue ?? []
    }

    /// The names of the `{…}` segments of `path`.
    static func parameterNames(in path: String) -> [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map {
            String($0.dropFirst().dropLast())
        }
    }

    /// `path` with a sample identifier for each path parameter, its prefix taken from the parameter's
    /// `pattern` (`^ses` → `ses_…`).
    static func target(of operation: JSONValue, path: String) -> String {
        var target = path
        for parameter in parameters(of: operation) where parameter["in"] == "path" {
            guard let name = parameter["name"]?.stringValue else { continue }
            let prefix = String((parameter["schema"]?["pattern"]?.stringValue ?? "^").dropFirst())
            target = target.replacingOccurrences(of: "{\(name)}", with: sampleIdentifier(prefix))
        }
        return target
    }

    /// Every `$ref` and discriminator mapping target under `value`.
    static func references(in value: JSONValue) -> [String] {
        switch value {
        case .object(let members):
            var found = members.flatMap { key, member in
                key == "$ref" ? [member.stringValue].compactMap { $0 } : references(in: member)
            }
            if let mapping = members["mapping"]?.objectValue { found += mapping.values.compactMap(\.stringValue) }
            return found
        case .array(let elements):
            return elements.flatMap(references)
        default:
            return []
        }
    }

    /// An identifier of opencode's shape with `prefix`: `<prefix>_<12 hex><14 base62>`.
    static func sampleIdentifier(_ prefix: String) -> String {
        prefix + "_0123456789abABCDEFGHIJKLMN"
    }

    /// Sends one request and records its answer as a sample for ``expectFit(_:)``.
    static func sample(
        _ client: HTTPTestClient,
        _ method: String,
        _ path: String,
        _ target: String,
        body: JSONValue? = nil
    ) async throws -> JSONValue {
        let headers: [(String, String)] = body == nil ? [] : [("content-type", "application/json")]
        let response = try await client.send(method, target, headers: headers, body: try body?.serializedBytes())
        let contentType = (response.header("content-type") ?? "").prefix { $0 != ";" }
        return [
            "operation": .string(method + " " + path),
            "status": .integer(Int64(response.status)),
            "contentType": .string(String(contentType)),
            "body": (try? response.json()) ?? .string(response.text),
        ]
    }

    /// Expects every sample to fit the schema the document gives its operation, status and content type.
    static func expectFit(_ samples: [JSONValue]) async throws {
        let directory = try TemporaryDirectory()
        let given: JSONValue = ["document": document, "samples": .array(samples)]
        let file = try PythonTools.write(given, to: "samples.json", in: directory)
        let run = try await PythonTools.run(["-c", ResponseShapeCheck.script, file])
        #expect(run.succeeded, "jsonschema: \(run.exit)\n\(run.output)")
    }
}
