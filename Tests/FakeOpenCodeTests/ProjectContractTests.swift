import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// `GET /project/current`, `GET /vcs`, `GET|PATCH /global/config` and an empty `GET /question`: reachable
/// without a model, so each test also runs against a real opencode.
@Suite("contract: project, vcs, global config, questions")
struct ProjectContractTests {
    @Test(arguments: Subject.available)
    func currentProjectOfAGitRepositoryAndOfAPlainDirectory(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let repository = try await root.gitRepository("repo")
        let plain = try root.subdirectory("plain")
        let server = try await subject.start()
        let project = try await server.client.json("GET", "/project/current?" + Shapes.directoryQuery(repository))
        #expect(project["worktree"] == .string(repository))
        #expect(project["vcs"] == "git")
        #expect(project["id"]?.stringValue?.isEmpty == false)
        #expect(project["time"]?["created"]?.int64Value != nil)
        let global = try await server.client.json("GET", "/project/current?" + Shapes.directoryQuery(plain))
        #expect(global["id"] == "global")
        #expect(global["worktree"] == "/")
        #expect(global["vcs"] == nil)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func vcsReportsTheBranchOfAGitRepository(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let repository = try await root.gitRepository("repo")
        try Data("ref: refs/heads/feature/x\n".utf8).write(to: URL(fileURLWithPath: repository + "/.git/HEAD"))
        let server = try await subject.start()
        let vcs = try await server.client.json("GET", "/vcs?" + Shapes.directoryQuery(repository))
        #expect(vcs["branch"] == "feature/x")
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func globalConfigIsAnObjectAndNeedsNoInstance(_ subject: Subject) async throws {
        let server = try await subject.start()
        let config = try await server.client.json("GET", "/global/config")
        #expect(config.objectValue != nil, "\(config)")
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func aFreshInstanceHasNoQuestionsAndUnknownAnswersAreAccepted(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        #expect(try await server.client.json("GET", "/question" + query) == [])
        let unknown = "que_0123456789abABCDEFGHIJKLMN"
        #expect(
            try await server.client.json("POST", "/question/\(unknown)/reply" + query, body: ["answers": []]) == true)
        #expect(try await server.client.json("POST", "/question/\(unknown)/reject" + query) == true)
        let bad = try await server.client.post("/question/\(unknown)/reply" + query, json: ["answers": "yes"])
        #expect(bad.status == 400)
        await server.stop()
    }
}
