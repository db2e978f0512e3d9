import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// opencode's questions, driven through `/__fake/question` (fake only): asked, listed per directory, answered or
/// rejected with their events, recorded in `/__fake/state`, dropped with their instance.
@Suite("fake-opencode: questions")
struct QuestionTests {
    static let questions: JSONValue = [
        [
            "question": "Which database?", "header": "Database",
            "options": [
                ["label": "sqlite", "description": "a file"], ["label": "postgres", "description": "a server"],
            ],
        ]
    ]

    static func ask(_ server: Server, _ directory: String) async throws -> JSONValue {
        try await server.client.json(
            "POST", "/__fake/question", body: ["directory": .string(directory), "questions": questions])
    }

    @Test func aQuestionIsAskedListedAnsweredAndRecorded() async throws {
        let root = try TemporaryDirectory()
        let first = try root.subdirectory("first")
        let second = try root.subdirectory("second")
        let server = try await IntrospectionTests.start()
        let events = try await server.client.events("/event?" + Shapes.directoryQuery(first))
        _ = try await events.nextJSON()

        let request = try await Self.ask(server, first)
        let id = try #require(request["id"]?.stringValue)
        #expect(Shapes.isIdentifier(request["id"], prefix: "que"))
        #expect(Shapes.isIdentifier(request["sessionID"], prefix: "ses"))
        #expect(request["questions"] == Self.questions)
        let asked = try await events.nextJSON { $0["type"] == "question.asked" }
        #expect(asked["properties"] == request)
        #expect(try await server.client.json("GET", "/question?" + Shapes.directoryQuery(first)) == [request])
        #expect(try await server.client.json("GET", "/question?" + Shapes.directoryQuery(second)) == [])

        let query = "?" + Shapes.directoryQuery(first)
        let answers: JSONValue = [["postgres"]]
        #expect(
            try await server.client.json("POST", "/question/\(id)/reply" + query, body: ["answers": answers]) == true)
        let replied = try await events.nextJSON { $0["type"] == "question.replied" }
        #expect(
            replied["properties"] == [
                "sessionID": request["sessionID"] ?? .null, "requestID": .string(id), "answers": answers,
            ])
        #expect(try await server.client.json("GET", "/question" + query) == [])
        let state = try await server.client.json("GET", "/__fake/state")
        #expect(
            state["questionAnswers"] == [
                [
                    "requestID": .string(id), "sessionID": request["sessionID"] ?? .null, "directory": .string(first),
                    "answers": answers, "rejected": false,
                ]
            ])
        await server.stop()
    }

    @Test func aRejectionIsAnnouncedAndRecordedAndDisposalDropsPendingQuestions() async throws {
        let root = try TemporaryDirectory()
        let server = try await IntrospectionTests.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let events = try await server.client.events("/event" + query)
        _ = try await events.nextJSON()
        let id = try #require(try await Self.ask(server, root.path)["id"]?.stringValue)
        #expect(try await server.client.json("POST", "/question/\(id)/reject" + query) == true)
        let rejected = try await events.nextJSON { $0["type"] == "question.rejected" }
        #expect(rejected["properties"]?["requestID"] == .string(id))
        let state = try await server.client.json("GET", "/__fake/state")
        #expect(state["questionAnswers"]?[0]?["rejected"] == true)
        #expect(state["questionAnswers"]?[0]?["answers"] == .null)

        _ = try await Self.ask(server, root.path)
        _ = try await server.client.json("POST", "/instance/dispose" + query)
        #expect(try await server.client.json("GET", "/question" + query) == [], "questions go with their instance")
        await server.stop()
    }

    @Test func malformedQuestionsAreRefused() async throws {
        let server = try await IntrospectionTests.start()
        let root = try TemporaryDirectory()
        for questions: JSONValue in [[], ["which?"], [["question": "q", "header": "h", "options": [["label": "a"]]]]] {
            let response = try await server.client.post(
                "/__fake/question", json: ["directory": .string(root.path), "questions": questions])
            #expect(response.status == 400, "\(questions)")
        }
        await server.stop()
    }
}
