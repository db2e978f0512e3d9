import OpenWorkJSON
import Synchronization

/// Every reply and rejection of a question the fake received, in order, for `/__fake/state`
/// (`questionAnswers: [{requestID, sessionID, directory, answers | null, rejected}]`): what a scenario checks to
/// know the orchestrator's answer reached opencode.
final class QuestionAnswers: Sendable {
    private let records = Mutex<[JSONValue]>([])

    func record(_ request: QuestionQueue.Request, directory: String, answers: [[String]]?) {
        let entry: JSONValue = [
            "requestID": .string(request.id),
            "sessionID": .string(request.sessionID),
            "directory": .string(directory),
            "answers": answers.map { .array($0.map { .array($0.map(JSONValue.string)) }) } ?? .null,
            "rejected": .bool(answers == nil),
        ]
        records.withLock { $0.append(entry) }
    }

    var all: [JSONValue] { records.withLock { $0 } }
}
