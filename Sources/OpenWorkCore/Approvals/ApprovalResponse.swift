/// What `approvals.reply` does to one pending request, once its params were checked against the request's kind
/// (``resolve(_:id:for:)``, a pure rule).
public enum ApprovalResponse: Sendable, Equatable {
    /// A permission request answered `once`, `always` or `reject`.
    case permission(ApprovalReply)
    /// A question request answered: one list of labels (or free text) per question, in order.
    case answers([[String]])
    /// A question request rejected (the user dismissed it).
    case rejectQuestion

    /// The params of `approvals.reply` besides `id`, as given.
    public struct Params: Sendable, Equatable {
        public var reply: String?
        public var answer: String?
        public var answers: [[String]]?
        public var message: String?

        public init(reply: String? = nil, answer: String? = nil, answers: [[String]]? = nil, message: String? = nil) {
            self.reply = reply
            self.answer = answer
            self.answers = answers
            self.message = message
        }
    }

    /// Params that do not fit the request (`invalid_params` on the wire); `message` says what would.
    public struct Invalid: Error, Sendable, Equatable {
        public var message: String
    }

    /// The response `params` ask for `id`, whose request is `request` (`nil` when it is not pending: the params are
    /// then checked on their own, and the owner answers `approval_not_found`).
    ///
    /// Exactly one of `reply`, `answer` and `answers`. A permission takes `reply` (`once`, `always`, `reject`,
    /// `allow` = once, `deny` = reject) and an optional `message`. A question takes `answer: TEXT`, which answers
    /// every question of the request with `[TEXT]`, or `answers` (one list per question, as many lists as
    /// questions), or `reply: reject` (or `deny`); never `once`/`always` nor a `message` (opencode's question
    /// replies carry none).
    public static func resolve(_ params: Params, id: String, for request: PendingApproval.Request?)
        throws(Invalid) -> ApprovalResponse
    {
        let given = [params.reply != nil, params.answer != nil, params.answers != nil].filter { $0 }.count
        guard given == 1 else {
            throw Invalid(
                message: given == 0
                    ? "give reply (once, always or reject) for a permission, or answer (or answers) for a question"
                    : "give only one of reply, answer and answers")
        }
        if let text = params.reply {
            guard let reply = ApprovalReply.parse(text) else {
                throw Invalid(message: "reply must be once, always, reject, allow or deny, not \"\(text)\"")
            }
            guard case .question = request else { return .permission(reply) }
            guard reply == .reject else {
                throw Invalid(
                    message: "\(id) is a question: answer it (answer: TEXT, or answers: [[…]…]) or reply reject; "
                        + "\(reply.rawValue) is for permissions")
            }
            try refuseMessage(params, id: id)
            return .rejectQuestion
        }
        if case .permission = request {
            throw Invalid(
                message: "\(id) is a permission request: reply once, always or reject (answer is for questions)")
        }
        try refuseMessage(params, id: id)
        let count: Int? = if case .question(let questions) = request { questions.count } else { nil }
        if let text = params.answer {
            guard !text.allSatisfy(\.isWhitespace) else { throw Invalid(message: "answer must not be empty") }
            return .answers(Array(repeating: [text], count: count ?? 1))
        }
        let answers = params.answers ?? []
        if let count, answers.count != count {
            throw Invalid(
                message: "\(id) asks \(count) question\(count == 1 ? "" : "s"): answers needs \(count) "
                    + "list\(count == 1 ? "" : "s") of labels, not \(answers.count)")
        }
        return .answers(answers)
    }

    private static func refuseMessage(_ params: Params, id: String) throws(Invalid) {
        guard params.message == nil else {
            throw Invalid(message: "\(id) is a question: opencode takes no message with its answer")
        }
    }
}
