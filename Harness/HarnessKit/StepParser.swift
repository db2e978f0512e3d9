import Foundation
import OpenWorkJSON

/// What a step line is parsed against, and the checks every verb shares: which `$VARIABLES` are defined so
/// far, whether `start` (or another step that leaves an answer) came before, which sections the steps name,
/// and whether any step needs the fake opencode.
///
/// A verb's parser (see ``StepRegistry``) reads its arguments with the lexing helpers of ``ScenarioParser``
/// and turns every part into a checked value here: templates and JSON whose variables exist, deadlines,
/// variable names. It knows no verbs.
struct StepParser {
    let file: String
    /// The line being parsed.
    var line = 0
    var defined = ScenarioParser.builtinVariables
    /// Whether `start` came before.
    var started = false
    /// Whether a step that leaves an answer (`start`, `cli`, `http`) came before.
    var answered = false
    /// The first step that needs the fake opencode (a knob or a `/__fake` route).
    private(set) var usesFakeOnly: SourceLocation?
    /// Sections that steps name, with where; each must exist once the whole file is read.
    private(set) var referencedSections: [(String, SourceLocation)] = []

    init(file: String) { self.file = file }

    var location: SourceLocation { SourceLocation(file: file, line: line) }

    func fail(_ message: String) -> ScenarioParseError { ScenarioParseError(location: location, message: message) }

    func requireStarted(_ what: String) throws {
        guard started else { throw fail("\(what) before `start`") }
    }

    func requireAnswer(_ what: String) throws {
        guard answered else { throw fail("\(what) before any `start`, `cli` or `http`") }
    }

    /// Notes that this line needs the fake opencode: the file must say `# requires: fake`.
    mutating func requireFake() { usesFakeOnly = usesFakeOnly ?? location }

    /// Notes that this line names a `-- section --`.
    mutating func reference(section: String) { referencedSections.append((section, location)) }

    mutating func template(_ text: String) throws -> Template {
        try checkDefined(ScenarioParser.variableReferences(in: text))
        if text.contains("/__fake") { requireFake() }
        return Template(text: text)
    }

    mutating func json(_ text: String) throws -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch {
            throw fail("bad JSON: \(error) in \(text)")
        }
        try checkDefined(ScenarioParser.variableReferences(in: value))
        return value
    }

    /// A defined `$VARIABLE`, without its `$`.
    func variable(_ word: String) throws -> String {
        guard let name = Self.variableName(word) else { throw fail("wants a $VARIABLE, got \"\(word)\"") }
        guard defined.contains(name) else { throw fail("undefined variable $\(name)") }
        return name
    }

    /// The words of a line that asks the fake opencode for something and names the answer `$NAME DIRECTORY …`
    /// (`prompt`, `ask-permission`): after `start`, at least `minimum` words, the first a `$NAME` it defines from
    /// here on, the second the directory.
    mutating func fakeRequest(_ verb: String, _ arguments: String, minimum: Int, usage: String) throws -> (
        name: String, directory: Template, words: [String]
    ) {
        try requireStarted(verb)
        let words = ScenarioParser.words(arguments)
        guard words.count >= minimum, let name = Self.variableName(words[0]) else {
            throw fail("\(verb) wants \(usage) (NAME in upper case)")
        }
        requireFake()
        let directory = try template(words[1])
        defined.insert(name)
        return (name, directory, words)
    }

    /// `NAME` when `word` is exactly `$NAME` (upper case), defined or not.
    static func variableName(_ word: String) -> String? {
        guard word.hasPrefix("$"), ScenarioParser.variableReferences(in: word) == [String(word.dropFirst())] else {
            return nil
        }
        return String(word.dropFirst())
    }

    func checkDefined(_ names: [String]) throws {
        for name in names where !defined.contains(name) { throw fail("undefined variable $\(name)") }
    }

    /// Strips a trailing `within DURATION`.
    func splitWithin(_ text: String) throws -> (String, Duration?) {
        let words = text.split(separator: " ")
        guard words.count >= 2, words[words.count - 2] == "within" else { return (text, nil) }
        guard let duration = ScenarioParser.parseDuration(String(words[words.count - 1])) else {
            throw fail("bad duration \"\(words[words.count - 1])\"")
        }
        guard let range = text.range(of: " within ", options: .backwards) else { return ("", duration) }
        return (text[..<range.lowerBound].trimmingCharacters(in: .whitespaces), duration)
    }
}
