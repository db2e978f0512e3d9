import OpenWorkCore
import OpenWorkJSON
import Testing

/// The pure rules of opencode's questions: reading their events and requests, checking `approvals.reply`'s params.
@Suite struct QuestionRulesTests {
    static let twoQuestions: PendingApproval.Request = .question([
        ApprovalQuestion(question: "Which database?", options: [.init(label: "sqlite"), .init(label: "postgres")]),
        ApprovalQuestion(question: "Which features?", multiple: true),
    ])

    @Test func readsQuestionEvents() throws {
        let asked = try JSONValue(
            parsing: #"""
                {"directory":"/w/a","project":"p","payload":{"id":"evt_1","type":"question.asked","properties":{
                "id":"que_1","sessionID":"ses_1","questions":[{"question":"Which database?","header":"Database",
                "options":[{"label":"sqlite","description":"a file"},{"label":"postgres","description":"a server"}],
                "multiple":false},{"header":"no text"}],"tool":{"messageID":"msg_1","callID":"call_1"}}}}
                """#)
        let (directory, change) = ApprovalRules.change(in: asked)
        #expect(directory == "/w/a")
        let expected = ApprovalQuestion(
            question: "Which database?", header: "Database",
            options: [
                .init(label: "sqlite", description: "a file"), .init(label: "postgres", description: "a server"),
            ],
            multiple: false)
        #expect(change == .asked(id: "que_1", sessionID: "ses_1", request: .question([expected])), "no text: skipped")

        let replied = try JSONValue(
            parsing: #"""
                {"directory":"/w/a","payload":{"id":"evt_2","type":"question.replied","properties":{
                "sessionID":"ses_1","requestID":"que_1","answers":[["sqlite"],["a","b"]]}}}
                """#)
        #expect(ApprovalRules.change(in: replied).change == .answered(id: "que_1", answers: [["sqlite"], ["a", "b"]]))
        let rejected = try JSONValue(
            parsing: #"{"payload":{"type":"question.rejected","properties":{"sessionID":"ses_1","requestID":"que_1"}}}"#
        )
        #expect(ApprovalRules.change(in: rejected).change == .rejected(id: "que_1"))
        for type in ["question.asked", "question.replied", "question.rejected"] {
            let bare: JSONValue = ["payload": ["type": .string(type), "properties": ["sessionID": "ses_1"]]]
            #expect(ApprovalRules.change(in: bare).change == .other, "\(type) without an id")
        }
    }

    @Test func questionItemJSONRepeatsTheFirstQuestion() {
        let item = PendingApproval(
            id: "que_1", workspaceID: "ws-aaaaaaaaaaaa", directory: "/w/a", sessionID: "ses_1",
            request: Self.twoQuestions, createdAt: 7, received: .now)
        #expect(item.source == "opencode-question")
        #expect(item.isQuestion)
        #expect(item.json["question"] == "Which database?")
        #expect(item.json["options"] == ["sqlite", "postgres"])
        #expect(
            item.json["questions"]?[1] == [
                "question": "Which features?", "header": "", "options": [], "multiple": true,
            ])
        #expect(item.json["permission"] == nil)
        #expect(
            ApprovalQuestion(["question": "Q?", "options": [["label": "a"], ["description": "no label"]]])
                == ApprovalQuestion(question: "Q?", options: [.init(label: "a")]))
        #expect(ApprovalQuestion(["header": "H"]) == nil)
    }

    @Test func questionRequestsFromTheList() throws {
        let listed = try JSONValue(
            parsing: #"{"id":"que_2","sessionID":"ses_9","questions":[{"question":"Go?","header":"","options":[]}]}"#)
        #expect(ApprovalRules.sessionID(listed) == "ses_9")
        #expect(ApprovalRules.questions(listed) == .question([ApprovalQuestion(question: "Go?")]))
    }

    typealias Params = ApprovalResponse.Params

    func resolve(_ params: Params, _ request: PendingApproval.Request?) -> Result<
        ApprovalResponse, ApprovalResponse.Invalid
    > {
        Result { () throws(ApprovalResponse.Invalid) in try ApprovalResponse.resolve(params, id: "x_1", for: request) }
    }

    func refusal(_ params: Params, _ request: PendingApproval.Request?) -> String? {
        if case .failure(let invalid) = resolve(params, request) { return invalid.message }
        return nil
    }

    @Test func questionRepliesAreCheckedAgainstTheRequest() {
        let question = Self.twoQuestions
        #expect(resolve(Params(answer: "sqlite"), question) == .success(.answers([["sqlite"], ["sqlite"]])))
        #expect(
            resolve(Params(answers: [["sqlite"], ["a", "b"]]), question)
                == .success(.answers([["sqlite"], ["a", "b"]])))
        #expect(resolve(Params(reply: "reject"), question) == .success(.rejectQuestion))
        #expect(resolve(Params(reply: "deny"), question) == .success(.rejectQuestion))
        #expect(refusal(Params(reply: "once"), question)?.contains("x_1 is a question") == true)
        #expect(refusal(Params(reply: "always"), question)?.contains("always is for permissions") == true)
        #expect(refusal(Params(answers: [["sqlite"]]), question)?.contains("asks 2 questions") == true)
        #expect(refusal(Params(answer: "  "), question) == "answer must not be empty")
        #expect(refusal(Params(answer: "a", message: "m"), question)?.contains("no message") == true)
        #expect(refusal(Params(reply: "reject", message: "m"), question)?.contains("no message") == true)
    }

    @Test func permissionRepliesAndParamsOnTheirOwn() {
        let permission = PendingApproval.Request.permission(permission: "bash", patterns: ["*"])
        #expect(resolve(Params(reply: "allow", message: "ok"), permission) == .success(.permission(.once)))
        #expect(resolve(Params(reply: "ALWAYS"), permission) == .success(.permission(.always)))
        #expect(refusal(Params(answer: "yes"), permission)?.contains("x_1 is a permission request") == true)
        #expect(refusal(Params(answers: [["yes"]]), permission)?.contains("answer is for questions") == true)
        #expect(
            refusal(Params(reply: "maybe"), permission)
                == #"reply must be once, always, reject, allow or deny, not "maybe""#)
        #expect(refusal(Params(), permission)?.hasPrefix("give reply") == true)
        #expect(refusal(Params(reply: "once", answer: "a"), nil) == "give only one of reply, answer and answers")
        // Not pending: the params are checked on their own; the owner then answers approval_not_found.
        #expect(resolve(Params(reply: "reject"), nil) == .success(.permission(.reject)))
        #expect(resolve(Params(answer: "a"), nil) == .success(.answers([["a"]])))
        #expect(refusal(Params(reply: "maybe"), nil) != nil)
    }
}
