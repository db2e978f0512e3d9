import Foundation
import NIOHTTP1
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// opencode's questions through `openwork rpc` (in-process engine) and the fake opencode: listed with their
/// workspace, answered or rejected, rejected after the timeout, left to a human in auto mode, resynced.
@Suite("opencode questions", .timeLimit(.minutes(3)))
struct OpenCodeQuestionsTests {
    typealias Setup = OpenCodeApprovalsTests.Setup

    @Test("asked in A: listed for A only; a bad reply is invalid_params; the answer reaches the fake, resolved once")
    func askedListedAnswered() async throws {
        let setup = try await Setup()
        defer { Task { await setup.session.stop() } }
        let session = setup.session
        let baseURL = try await setup.baseURL()
        _ = try await setup.session.event("approval.watching")  // opencode started after the subscription
        let id = try await askQuestion(baseURL, directory: setup.alpha.path)
        #expect(id.hasPrefix("que_"))
        let requested = try await session.event("approval.requested") { $0["id"] == .string(id) }
        #expect(requested["source"] == "opencode-question")
        #expect(requested["workspaceId"] == .string(setup.alpha.id))
        #expect(requested["question"] == "Which database?")
        #expect(requested["options"] == ["sqlite", "postgres"])
        #expect(requested["questions"]?[0]?["options"]?[1] == ["label": "postgres", "description": "a server"])

        let inAlpha = try await session.call("approvals.list", ["workspace": .string(setup.alpha.id)])
        #expect(inAlpha["items"]?.arrayValue?.map { $0["id"] } == [.string(id)])
        #expect(inAlpha["items"]?[0]?["directory"] == .string(setup.alpha.path))
        #expect(inAlpha["items"]?[0]?["sessionID"]?.stringValue?.hasPrefix("ses_") == true)
        #expect(try await session.call("approvals.list", ["workspace": "beta"])["items"] == [])

        for bad: JSONValue in [
            ["id": .string(id), "reply": "once"], ["id": .string(id), "answers": [["a"], ["b"]]],
            ["id": .string(id), "answer": "sqlite", "message": "hi"],
            ["id": .string(id), "reply": "reject", "answer": "x"],
        ] {
            let refused = try await session.call("approvals.reply", bad)
            #expect(refused["error"]?["data"]?["kind"] == "invalid_params", "\(bad): \(refused)")
        }
        #expect(try await questionAnswers(baseURL, id).isEmpty, "nothing sent for refused params")

        let answer = try await session.call("approvals.reply", ["id": .string(id), "answer": "postgres"])
        #expect(
            answer == ["id": .string(id), "source": "opencode-question", "answers": [["postgres"]], "resolved": true])
        let resolved = try await session.event("approval.resolved") { $0["id"] == .string(id) }
        #expect(resolved["answers"] == [["postgres"]])
        #expect(resolved["source"] == "opencode-question")
        #expect(resolved["workspaceId"] == .string(setup.alpha.id))
        let recorded = try await questionAnswers(baseURL, id)
        #expect(recorded.count == 1)
        #expect(recorded.first?["answers"] == [["postgres"]])
        #expect(recorded.first?["rejected"] == false)
        #expect(recorded.first?["directory"] == .string(setup.alpha.path))
        #expect(try await session.call("approvals.list")["items"] == [])
        let again = try await session.call("approvals.reply", ["id": .string(id), "answer": "sqlite"])
        #expect(again["error"]?["data"]?["kind"] == "approval_not_found")
        #expect(session.received("approval.resolved").isEmpty, "resolved exactly once")
    }

    @Test("several questions take answers, one list each; reject posts /reject and the fake records it")
    func answersAndReject() async throws {
        let setup = try await Setup()
        defer { Task { await setup.session.stop() } }
        let session = setup.session
        let baseURL = try await setup.baseURL()
        _ = try await setup.session.event("approval.watching")  // opencode started after the subscription
        let features: JSONValue = [
            "question": "Which features?", "header": "Features", "multiple": true,
            "options": [["label": "auth", "description": ""], ["label": "search", "description": ""]],
        ]
        let two = try await askQuestion(baseURL, directory: setup.beta.path, questions: [databaseQuestion, features])
        let requested = try await session.event("approval.requested") { $0["id"] == .string(two) }
        #expect(requested["workspaceId"] == .string(setup.beta.id))
        #expect(requested["questions"]?.arrayValue?.count == 2)
        let answers: JSONValue = [["sqlite"], ["auth", "search"]]
        let answered = try await session.call("approvals.reply", ["id": .string(two), "answers": answers])
        #expect(answered["answers"] == answers, "\(answered)")
        #expect(try await questionAnswers(baseURL, two).first?["answers"] == answers)

        let rejectedID = try await askQuestion(baseURL, directory: setup.alpha.path)
        _ = try await session.event("approval.requested") { $0["id"] == .string(rejectedID) }
        let rejected = try await session.call("approvals.reply", ["id": .string(rejectedID), "reply": "deny"])
        #expect(
            rejected == ["id": .string(rejectedID), "source": "opencode-question", "reply": "reject", "resolved": true])
        let resolved = try await session.event("approval.resolved") { $0["id"] == .string(rejectedID) }
        #expect(resolved["reply"] == "reject")
        #expect(resolved["answers"] == nil)
        let recorded = try await questionAnswers(baseURL, rejectedID)
        #expect(recorded.count == 1)
        #expect(recorded.first?["rejected"] == true)
        #expect(recorded.first?["answers"] == .null)
        #expect(try await session.call("approvals.list")["items"] == [])
    }

    @Test("an answer in opencode itself (another client) resolves the question here too")
    func answeredElsewhere() async throws {
        let setup = try await Setup()
        defer { Task { await setup.session.stop() } }
        let baseURL = try await setup.baseURL()
        _ = try await setup.session.event("approval.watching")  // opencode started after the subscription
        let id = try await askQuestion(baseURL, directory: setup.alpha.path)
        _ = try await setup.session.event("approval.requested") { $0["id"] == .string(id) }
        let connect = try await setup.session.call("workspace.connect", ["id": .string(setup.alpha.id)])
        let user = try #require(connect["username"]?.stringValue)
        let password = try #require(connect["password"]?.stringValue)
        let basic = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        let directory = setup.alpha.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let direct = try await HTTP.send(
            .POST, baseURL + "/question/\(id)/reply?directory=\(directory)", body: ["answers": [["sqlite"]]],
            headers: ["Authorization": basic])
        #expect(direct.status == 200)
        let resolved = try await setup.session.event("approval.resolved") { $0["id"] == .string(id) }
        #expect(resolved["answers"] == [["sqlite"]])
        #expect(resolved["source"] == "opencode-question")
        #expect(try await setup.session.call("approvals.list")["items"] == [])
    }

    @Test("the approval timeout rejects an unanswered question (POST /question/:id/reject)")
    func timeoutRejects() async throws {
        let setup = try await Setup(arguments: ["--approval-timeout", "300"])
        defer { Task { await setup.session.stop() } }
        let baseURL = try await setup.baseURL()
        _ = try await setup.session.event("approval.watching")  // opencode started after the subscription
        let id = try await askQuestion(baseURL, directory: setup.alpha.path)
        _ = try await setup.session.event("approval.requested") { $0["id"] == .string(id) }
        let resolved = try await setup.session.event("approval.resolved") { $0["id"] == .string(id) }
        #expect(resolved["reason"] == "timeout")
        #expect(resolved["reply"] == "reject")
        #expect(resolved["source"] == "opencode-question")
        #expect(try await questionAnswers(baseURL, id).map { $0["rejected"] } == [true])
        #expect(setup.logged("POST", "/question/\(id)/reject") == 1)
    }

    @Test("auto mode answers a permission asked after a question, and leaves the question to a human")
    func autoModeLeavesQuestionsPending() async throws {
        let setup = try await Setup(arguments: ["--approval", "auto"])
        defer { Task { await setup.session.stop() } }
        let session = setup.session
        let baseURL = try await setup.baseURL()
        _ = try await setup.session.event("approval.watching")  // opencode started after the subscription
        let question = try await askQuestion(baseURL, directory: setup.alpha.path)
        _ = try await session.event("approval.requested") { $0["id"] == .string(question) }
        let permission = try await askPermission(baseURL, directory: setup.alpha.path)
        let resolved = try await session.event("approval.resolved") { $0["id"] == .string(permission) }
        #expect(resolved["by"] == "auto")
        // The permission, asked after the question, was answered: the question was seen and deliberately left.
        #expect(session.received("approval.resolved").isEmpty, "the question is not resolved")
        #expect(try await session.call("approvals.list")["items"]?.arrayValue?.map { $0["id"] } == [.string(question)])
        #expect(try await questionAnswers(baseURL, question).isEmpty)
        #expect(setup.logged("POST", "/question/\(question)/reply") == 0)
        #expect(setup.logged("POST", "/question/\(question)/reject") == 0)
        let answer = try await session.call("approvals.reply", ["id": .string(question), "answer": "sqlite"])
        #expect(answer["answers"] == [["sqlite"]], "a human still can")
    }

    @Test("a question asked while the stream was down is listed after the reconnect's resync")
    func reconnectResyncsQuestions() async throws {
        let setup = try await Setup()
        defer { Task { await setup.session.stop() } }
        let session = setup.session
        let baseURL = try await setup.baseURL()
        _ = try await setup.session.event("approval.watching")  // opencode started after the subscription
        let id = try await askQuestion(baseURL, directory: setup.beta.path, quiet: true)
        #expect(try await session.call("approvals.list")["items"] == [], "nobody heard it")
        let dropped = try await HTTP.send(.POST, baseURL + "/__fake/drop-streams")
        #expect((dropped.body["dropped"]?.int64Value ?? 0) >= 1)
        _ = try await session.event("approval.watching")
        let requested = try await session.event("approval.requested") { $0["id"] == .string(id) }
        #expect(requested["source"] == "opencode-question")
        #expect(requested["workspaceId"] == .string(setup.beta.id))
        #expect(requested["question"] == "Which database?")
        #expect(setup.logged("GET", "/question") >= 1)
    }
}
