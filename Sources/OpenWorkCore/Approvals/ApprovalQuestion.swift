public import OpenWorkJSON

/// One question of an opencode question request (opencode's `QuestionInfo`): the text, a short header, the
/// options offered, whether several may be chosen (`multiple`) and whether free text is allowed (`custom`,
/// opencode's default is yes).
public struct ApprovalQuestion: Sendable, Equatable {
    /// One offered answer: the label sent back when it is chosen, and what it means.
    public struct Option: Sendable, Equatable {
        public var label: String
        public var description: String

        public init(label: String, description: String = "") {
            self.label = label
            self.description = description
        }
    }

    public var question: String
    public var header: String
    public var options: [Option]
    public var multiple: Bool?
    public var custom: Bool?

    public init(
        question: String, header: String = "", options: [Option] = [], multiple: Bool? = nil, custom: Bool? = nil
    ) {
        self.question = question
        self.header = header
        self.options = options
        self.multiple = multiple
        self.custom = custom
    }

    /// Reads a `QuestionInfo` leniently (missing header or options are empty); `nil` without a question text.
    public init?(_ info: JSONValue) {
        guard let question = info["question"]?.stringValue else { return nil }
        self.question = question
        header = info["header"]?.stringValue ?? ""
        options = (info["options"]?.arrayValue ?? []).compactMap { option in
            option["label"]?.stringValue.map {
                Option(label: $0, description: option["description"]?.stringValue ?? "")
            }
        }
        multiple = info["multiple"]?.boolValue
        custom = info["custom"]?.boolValue
    }

    /// `{question, header, options:[{label, description}], multiple?, custom?}`, as opencode spells it.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "question": .string(question), "header": .string(header),
            "options": .array(options.map { ["label": .string($0.label), "description": .string($0.description)] }),
        ]
        if let multiple { fields["multiple"] = .bool(multiple) }
        if let custom { fields["custom"] = .bool(custom) }
        return .object(fields)
    }
}
