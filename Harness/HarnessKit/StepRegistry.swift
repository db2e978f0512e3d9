/// How one verb is read: the word that starts its lines and the parser that turns the rest of the line into a
/// step. For an expectation, the word after `expect` (`file` in `expect file PATH exists`).
struct StepVerb: Sendable {
    typealias Parse = @Sendable (_ arguments: String, _ parser: inout StepParser) throws -> any StepAction

    let name: String
    let parse: Parse

    init(_ name: String, parse: @escaping Parse) {
        self.name = name
        self.parse = parse
    }
}

/// The verbs of one file in `Steps/`, each with its parser; the step types it parses to carry out the verb.
protocol StepFamily {
    /// Verbs that start a line: `call`, `mkdir`, …
    static var verbs: [StepVerb] { get }
    /// Kinds of `expect KIND …` lines.
    static var expectations: [StepVerb] { get }
}

extension StepFamily {
    static var verbs: [StepVerb] { [] }
    static var expectations: [StepVerb] { [] }
}

/// Every verb a scenario can use, found by its first word (and, for `expect`, its second).
///
/// A verb lives in one file of `Steps/`: its step type (what parsing resolved, and `run(in:)`) and its row in
/// that family's `verbs` or `expectations`. Adding a verb to a family touches that file only; a new family is
/// one more entry in ``families``. A verb registered twice stops the harness at the first parse.
enum StepRegistry {
    /// The families, in the order an unknown `expect` kind lists the known ones.
    static var families: [any StepFamily.Type] {
        [
            ExpectSteps.self, FileSteps.self, ProcessSteps.self, RPCSteps.self, EventSteps.self,
            ControlPlaneSteps.self, PermissionSteps.self, QuestionSteps.self, PromptSteps.self,
        ]
    }

    static let verbs = table(families.flatMap { $0.verbs })

    static let expectations = families.flatMap { $0.expectations }

    private static let expectationsByKind = table(expectations)

    /// The step of one line (trimmed, not a comment).
    static func parse(_ line: String, _ parser: inout StepParser) throws -> any StepAction {
        let (verb, rest) = ScenarioParser.split(line)
        if verb == "expect" {
            let (kind, body) = ScenarioParser.split(rest)
            guard let expectation = expectationsByKind[kind] else {
                let known = expectations.map(\.name).joined(separator: ", ")
                throw parser.fail("unknown expectation \"\(kind)\" (\(known))")
            }
            return try expectation.parse(body, &parser)
        }
        guard let entry = verbs[verb] else { throw parser.fail("unknown verb \"\(verb)\"") }
        return try entry.parse(rest, &parser)
    }

    private static func table(_ rows: [StepVerb]) -> [String: StepVerb] {
        Dictionary(rows.map { ($0.name, $0) }) { first, _ in
            preconditionFailure("the verb \(first.name) is registered twice")
        }
    }
}

extension ScenarioParser {
    /// Every verb a step line can start with, and every `expect KIND`, sorted: what the README's scenario-format
    /// table must document, no more and no less.
    public static var vocabulary: [String] {
        (StepRegistry.verbs.keys.map { $0 } + StepRegistry.expectations.map { "expect " + $0.name }).sorted()
    }
}
