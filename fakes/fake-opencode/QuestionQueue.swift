import OpenWorkJSON

/// The pending questions of one instance: opencode's other way of waiting for a human.
///
/// A question request holds one or more questions (`{question, header, options: [{label, description}],
/// multiple?, custom?}`); it is answered as a whole (`answers`: one array of chosen labels or typed text per
/// question, in order) or rejected. An answer to an unknown request changes nothing and reports nothing, as in
/// opencode. This type does not publish events: it returns the request it resolved.
struct QuestionQueue: Sendable {
    struct Request: Equatable, Sendable {
        var id: String
        var sessionID: String
        var questions: [JSONValue]
        var tool: JSONValue?

        var json: JSONValue {
            var object: JSONValue = [
                "id": .string(id),
                "sessionID": .string(sessionID),
                "questions": .array(questions),
            ]
            if let tool { object["tool"] = tool }
            return object
        }
    }

    private(set) var pending: [Request] = []

    mutating func ask(_ request: Request) {
        pending.append(request)
    }

    /// Removes request `id` and returns it; `nil` when it is not pending.
    mutating func resolve(_ id: String) -> Request? {
        guard let index = pending.firstIndex(where: { $0.id == id }) else { return nil }
        return pending.remove(at: index)
    }

    /// Drops every pending request (the instance is going away).
    mutating func removeAll() {
        pending.removeAll()
    }

    /// Reads the `questions` of a request (`/__fake/question`): a non-empty array of
    /// `{question, header, options: [{label, description}], multiple?, custom?}`.
    static func questions(_ value: JSONValue?) throws(Reply.Rejection) -> [JSONValue] {
        guard let items = value?.arrayValue, !items.isEmpty else {
            throw Reply.Rejection(message: "questions: expected a non-empty array", path: ["questions"])
        }
        for (index, item) in items.enumerated() {
            let at = ["questions", String(index)]
            guard item["question"]?.stringValue != nil, item["header"]?.stringValue != nil else {
                throw Reply.Rejection(message: "expected {question, header, options} with string texts", path: at)
            }
            let options = item["options"]?.arrayValue ?? []
            guard item["options"]?.arrayValue != nil,
                options.allSatisfy({ $0["label"]?.stringValue != nil && $0["description"]?.stringValue != nil })
            else {
                throw Reply.Rejection(message: "options: expected [{label, description}]", path: at + ["options"])
            }
        }
        return items
    }

    /// Reads the body of `POST /question/:id/reply`: `answers`, an array of arrays of strings.
    static func answers(_ value: JSONValue?) throws(Reply.Rejection) -> [[String]] {
        guard let rows = value?.arrayValue else {
            throw Reply.Rejection(message: "Invalid input: expected array, received undefined", path: ["answers"])
        }
        var answers: [[String]] = []
        for (index, row) in rows.enumerated() {
            guard let labels = row.arrayValue, labels.allSatisfy({ $0.stringValue != nil }) else {
                throw Reply.Rejection(
                    message: "Invalid input: expected array of strings", path: ["answers", "\(index)"])
            }
            answers.append(labels.compactMap(\.stringValue))
        }
        return answers
    }
}
