import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import Testing

/// The registry's rules, without files.
@Suite("Registry rules")
struct RegistryStateTests {
    let identity: (String) -> String? = { $0 }

    @Test("the first workspace becomes active; later ones do not take over")
    func firstIsActive() {
        var state = RegistryState()
        let first = state.addLocal(path: "/a", name: nil, now: 1, canonical: identity)
        let second = state.addLocal(path: "/b", name: "Bee", now: 2, canonical: identity)
        #expect(first.created && second.created)
        #expect(state.activeID == first.workspace.id)
        #expect(first.workspace.name == "a")
        #expect(second.workspace.name == "Bee")
        #expect(first.workspace.createdAt == 1 && first.workspace.lastUsedAt == 1)
    }

    @Test("adding the same path again returns the existing entry unchanged")
    func idempotentAdd() {
        var state = RegistryState()
        let first = state.addLocal(path: "/a", name: "A", now: 1, canonical: identity)
        let again = state.addLocal(path: "/a", name: "other", now: 5, canonical: identity)
        #expect(!again.created)
        #expect(again.workspace == first.workspace)
        #expect(state.workspaces.count == 1)
    }

    @Test("a symlinked spelling of a registered directory is the same workspace")
    func symlinkDuplicate() throws {
        let canonical: (String) -> String? = { $0 == "/link" ? "/real" : $0 }
        var state = RegistryState()
        let real = state.addLocal(path: "/real", name: nil, now: 1, canonical: canonical)
        let viaLink = state.addLocal(path: "/link", name: nil, now: 2, canonical: canonical)
        #expect(!viaLink.created)
        #expect(viaLink.workspace.id == real.workspace.id)
        #expect(try state.resolve("/link", path: "/link", canonical: canonical).id == real.workspace.id)
    }

    @Test("references match an id, then an exact name, then a path")
    func resolutionOrder() throws {
        var state = RegistryState()
        let a = state.addLocal(path: "/x/alpha", name: "beta", now: 1, canonical: identity).workspace
        let b = state.addLocal(path: "/x/beta", name: a.id, now: 2, canonical: identity).workspace
        #expect(try state.resolve(a.id, path: nil, canonical: identity).id == a.id)
        #expect(try state.resolve("beta", path: "/cwd/beta", canonical: identity).id == a.id)
        #expect(try state.resolve("/x/beta", path: "/x/beta", canonical: identity).id == b.id)
        #expect(throws: OpenWorkError.self) { try state.resolve("nope", path: "/cwd/nope", canonical: identity) }
    }

    @Test("a name shared by two workspaces is ambiguous")
    func ambiguous() {
        var state = RegistryState()
        _ = state.addLocal(path: "/a", name: "same", now: 1, canonical: identity)
        _ = state.addLocal(path: "/b", name: "same", now: 2, canonical: identity)
        do {
            _ = try state.resolve("same", path: nil, canonical: identity)
            Issue.record("resolved an ambiguous name")
        } catch {
            #expect(error.code == .workspaceAmbiguous)
        }
    }

    @Test("removing the active workspace activates the most recently used one; removing the last leaves none")
    func removal() throws {
        var state = RegistryState()
        let a = state.addLocal(path: "/a", name: nil, now: 1, canonical: identity).workspace
        let b = state.addLocal(path: "/b", name: nil, now: 2, canonical: identity).workspace
        let c = state.addLocal(path: "/c", name: nil, now: 3, canonical: identity).workspace
        _ = state.activate(b.id, now: 10)
        state.touch(a.id, at: 20)
        #expect(state.remove(b.id)?.id == b.id)
        #expect(state.activeID == a.id)
        _ = state.remove(c.id)
        #expect(state.activeID == a.id)
        _ = state.remove(a.id)
        #expect(state.activeID == nil)
        #expect(state.remove("ws-missing") == nil)
    }

    @Test("switching sets the active id and lastUsedAt; touch never moves time back")
    func activation() {
        var state = RegistryState()
        _ = state.addLocal(path: "/a", name: nil, now: 1, canonical: identity)
        let b = state.addLocal(path: "/b", name: nil, now: 2, canonical: identity).workspace
        #expect(state.activate(b.id, now: 50)?.lastUsedAt == 50)
        #expect(state.activeID == b.id)
        state.touch(b.id, at: 40)
        #expect(state.activeWorkspace?.lastUsedAt == 50)
    }

    @Test("unknown members survive a read and a rewrite, at the top level and in entries")
    func unknownFieldsPreserved() throws {
        let text = """
            {"version":1,"activeId":"ws-511b74233395","cliVersion":"0.11.165","futureTop":{"x":[1]},
             "daemon":{"pid":123,"port":50123,"baseUrl":"http://127.0.0.1:50123","startedAt":1738000000000},
             "workspaces":[{"id":"ws-511b74233395","name":"Finance","path":"/Users/susan/Finance",
               "workspaceType":"local","createdAt":1738000000000,"lastUsedAt":1738000001000,"color":"blue"}]}
            """
        var state = try RegistryState(json: JSONValue(parsing: text))
        _ = state.addLocal(path: "/b", name: nil, now: 5, canonical: identity)
        let json = state.json
        #expect(json["futureTop"] == ["x": [1]])
        #expect(json["cliVersion"] == "0.11.165")
        #expect(json["daemon"]?["pid"] == 123)
        #expect(json["workspaces"]?[0]?["color"] == "blue")
        #expect(json["workspaces"]?[0]?["lastUsedAt"] == 1_738_000_001_000)
        #expect(try RegistryState(json: json) == state)
    }

    @Test(
        "documents that are not state files are refused",
        arguments: [
            "[]", #"{"version":"1"}"#, #"{"version":0}"#, #"{"workspaces":{}}"#, #"{"workspaces":[{"name":"x"}]}"#,
            #"{"activeId":5}"#, #"{"workspaces":[{"id":"ws-1","path":"/a"},{"id":"ws-1","path":"/b"}]}"#,
        ]
    )
    func schemaErrors(text: String) throws {
        #expect(throws: RegistryState.SchemaError.self) { try RegistryState(json: JSONValue(parsing: text)) }
    }
}
