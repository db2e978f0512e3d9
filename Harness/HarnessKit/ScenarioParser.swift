import Foundation
import OpenWorkJSON

/// A scenario that cannot run, with the place that is wrong.
public struct ScenarioParseError: Error, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    public var description: String { "\(location): \(message)" }
}

/// Turns scenario text into a ``Scenario``, checking everything that can be checked before anything runs.
///
/// The format is line-oriented (see the README's "Scenarios" section): a verb and its arguments per line,
/// single-line JSON payloads, `#` comments and headers, fixture sections after `-- name --` lines. Unknown
/// verbs, bad JSON, bad durations or signals, missing sections and undefined `$VARIABLES` are reported with
/// `file:line`.
public enum ScenarioParser {
    /// Variables every scenario has.
    public static let builtinVariables: Set<String> = ["WORK", "DATA", "OPENCODE_BIN", "OPENWORK_BIN"]

    /// Default deadlines, before ``HarnessConfiguration/timeoutScale`` is applied. Hang deadlines: what they wait
    /// for takes milliseconds to a second, and a loaded machine must not turn a slow run into a failure.
    public enum Defaults {
        public static let call = Duration.seconds(45)
        public static let event = Duration.seconds(30)
        public static let response = Duration.seconds(15)
        public static let spawn = Duration.seconds(45)
        public static let gone = Duration.seconds(15)
        public static let exit = Duration.seconds(30)
        public static let cli = Duration.seconds(90)
        public static let http = Duration.seconds(45)
    }

    public static func parse(contentsOf path: String) throws -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScenarioParseError(location: .init(file: path, line: 0), message: "cannot read: \(error)")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> Scenario {
        var parser = LineParser(file: file)
        return try parser.parse(text)
    }

    /// `500ms`, `5s`, `1.5s`, `2m`.
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 1e-3), ("s", 1), ("m", 60)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0, number.isFinite else { return nil }
            return .milliseconds(Int64((number * seconds * 1000).rounded()))
        }
        return nil
    }

    /// `-KILL`, `-9`, `KILL`, `SIGKILL` → the signal number.
    public static func parseSignal(_ text: String) -> Int32? {
        var name = text.hasPrefix("-") ? String(text.dropFirst()) : text
        if let number = Int32(name), number > 0, number < 65 { return number }
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        let known: [String: Int32] = [
            "HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15, "CONT": 18, "STOP": 19,
        ]
        return known[name]
    }

    /// The `$NAME` references in `text` (upper-case names; `$int` and the other placeholders are lower case).
    public static func variableReferences(in text: String) -> [String] {
        var names: [String] = []
        var index = text.startIndex
        while let dollar = text[index...].firstIndex(of: "$") {
            var end = text.index(after: dollar)
            guard end < text.endIndex, text[end].isASCII, text[end].isUppercase else {
                index = end
                continue
            }
            while end < text.endIndex, text[end].isASCII,
                text[end].isUppercase || text[end].isNumber || text[end] == "_"
            {
                end = text.index(after: end)
            }
            names.append(String(text[text.index(after: dollar)..<end]))
            index = end
        }
        return names
    }

    /// Every `$NAME` inside the strings (and keys) of a JSON value.
    static func variableReferences(in value: JSONValue) -> [String] {
        switch value {
        case .string(let text): return variableReferences(in: text)
        case .array(let items): return items.flatMap { variableReferences(in: $0) }
        case .object(let members):
            return members.flatMap { variableReferences(in: $0.key) + variableReferences(in: $0.value) }
        default: return []
        }
    }
}

private struct LineParser {
    let file: String
    var defined = ScenarioParser.builtinVariables
    var started = false
    /// Whether a step that leaves an answer (`start`, `cli`, `http`) came before.
    var answered = false
    var usesFakeOnly: SourceLocation?
    var currentLine = 0

    init(file: String) { self.file = file }

    var location: SourceLocation { SourceLocation(file: file, line: currentLine) }

    func fail(_ message: String) -> ScenarioParseError { ScenarioParseError(location: location, message: message) }

    mutating func parse(_ text: String) throws -> Scenario {
        var scenario = Scenario(
            file: file, title: "", docs: [], requirements: [], steps: [], sections: [:])
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var sectionName: String?
        var sectionLines: [String] = []
        var referencedSections: [(String, SourceLocation)] = []
        func closeSection(into scenario: inout Scenario) {
            if let sectionName { scenario.sections[sectionName] = sectionLines.map { $0 + "\n" }.joined() }
        }
        for (offset, raw) in lines.enumerated() {
            currentLine = offset + 1
            if raw.hasPrefix("-- "), raw.hasSuffix(" --"), raw.count > 6 {
                closeSection(into: &scenario)
                let name = String(raw.dropFirst(3).dropLast(3)).trimmingCharacters(in: .whitespaces)
                guard scenario.sections[name] == nil else { throw fail("section \"\(name)\" appears twice") }
                sectionName = name
                sectionLines = []
                continue
            }
            if sectionName != nil {
                sectionLines.append(raw)
                continue
            }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                try header(line, into: &scenario)
                continue
            }
            let step = try self.step(line)
            if case .write(_, let section, _) = step.action { referencedSections.append((section, location)) }
            if case .expectFile(_, .equals(let section)) = step.action {
                referencedSections.append((section, location))
            }
            scenario.steps.append(step)
        }
        closeSection(into: &scenario)
        for (section, location) in referencedSections where scenario.sections[section] == nil {
            throw ScenarioParseError(location: location, message: "no section \"-- \(section) --\" in this file")
        }
        if let usesFakeOnly, !scenario.requirements.contains("fake") {
            throw ScenarioParseError(
                location: usesFakeOnly,
                message: "uses a fake-opencode knob or /__fake route: add `# requires: fake`")
        }
        if scenario.title.isEmpty { scenario.title = scenario.name }
        guard !scenario.steps.isEmpty else {
            throw ScenarioParseError(location: .init(file: file, line: 1), message: "no steps")
        }
        return scenario
    }

    mutating func header(_ line: String, into scenario: inout Scenario) throws {
        let body = line.dropFirst().trimmingCharacters(in: .whitespaces)
        func value(_ key: String) -> String? {
            guard body.hasPrefix(key + ":") else { return nil }
            return body.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
        }
        if let title = value("title") {
            scenario.title = title
        } else if let doc = value("doc") {
            guard doc.contains("#") else { throw fail("`# doc:` wants FILE#anchor, got \"\(doc)\"") }
            scenario.docs.append(doc)
        } else if let requires = value("requires") {
            for item in requires.split(whereSeparator: { $0 == "," || $0 == " " }) {
                guard item == "fake" else { throw fail("unknown requirement \"\(item)\" (known: fake)") }
                scenario.requirements.insert(String(item))
            }
        }
    }

    // MARK: Steps

    mutating func step(_ line: String) throws -> Step {
        let (verb, rest) = Self.split(line)
        let action: Action
        switch verb {
        case "env":
            guard let equals = rest.firstIndex(of: "="), equals != rest.startIndex else {
                throw fail("env wants NAME=VALUE")
            }
            let name = String(rest[..<equals])
            let value = String(rest[rest.index(after: equals)...])
            if name.hasPrefix("FAKE_OPENCODE_") { usesFakeOnly = usesFakeOnly ?? location }
            action = .env(name: name, value: try template(value))
        case "mkdir":
            let paths = Self.words(rest)
            guard !paths.isEmpty else { throw fail("mkdir wants at least one path") }
            action = .mkdir(try paths.map { try template($0) })
        case "sidecar-manifest":
            let words = Self.words(rest)
            guard words.count == 2 else { throw fail("sidecar-manifest wants PATH VERSION") }
            action = .sidecarManifest(path: try template(words[0]), version: try template(words[1]))
        case "write":
            let words = Self.words(rest)
            guard words.count == 2 || (words.count == 4 && words[2] == "mode") else {
                throw fail("write wants PATH SECTION [mode OCTAL]")
            }
            var mode: Int?
            if words.count == 4 {
                guard let parsed = Int(words[3], radix: 8) else { throw fail("bad mode \"\(words[3])\"") }
                mode = parsed
            }
            action = .write(path: try template(words[0]), section: words[1], mode: mode)
        case "rm":
            let words = Self.words(rest)
            guard words.count == 1 else { throw fail("rm wants one path") }
            action = .remove(try template(words[0]))
        case "start":
            started = true
            answered = true
            action = .start(arguments: try Self.words(rest).map { try template($0) })
        case "call":
            try requireStarted(verb)
            let (body, within) = try Self.splitWithin(rest, location: location)
            let (method, params) = try methodAndParams(body)
            action = .call(method: method, params: params, within: within ?? ScenarioParser.Defaults.call)
        case "send":
            try requireStarted(verb)
            action = .send(try template(rest))
        case "expect":
            action = try expect(rest)
        case "capture":
            try requireAnswer(verb)
            var words = Self.words(rest)
            var source = CaptureSource.answer
            if words.count == 3, words[1] == "event" {
                source = .event
                words.remove(at: 1)
            }
            guard words.count == 2, words[1].hasPrefix("/"),
                ScenarioParser.variableReferences(in: words[0]) == [String(words[0].dropFirst())]
            else { throw fail("capture wants $NAME [event] /json/pointer (NAME in upper case)") }
            let name = String(words[0].dropFirst())
            guard (try? JSONPointer(words[1])) != nil else { throw fail("bad JSON pointer \(words[1])") }
            defined.insert(name)
            action = .capture(variable: name, from: source, pointer: words[1])
        case "await", "refute":
            try requireStarted(verb)
            action = try awaitOrRefute(verb, rest)
        case "wait-until":
            try requireStarted(verb)
            action = try waitUntil(rest)
        case "kill":
            let words = Self.words(rest)
            guard words.count == 1 || words.count == 2 else { throw fail("kill wants TARGET [-SIGNAL]") }
            let signal = words.count == 2 ? ScenarioParser.parseSignal(words[1]) : 15
            guard let signal else { throw fail("unknown signal \(words[1])") }
            action = .kill(try killTarget(words[0]), signal: signal)
        case "spawn":
            let (body, within) = try Self.splitWithin(rest, location: location)
            let words = Self.words(body)
            guard words.count >= 2, ScenarioParser.variableReferences(in: "$" + words[0]) == [words[0]] else {
                throw fail("spawn wants NAME opencode ARGS… (NAME in upper case)")
            }
            guard words[1] == "opencode" else { throw fail("spawn can start `opencode` (the one under test) only") }
            defined.formUnion([words[0], words[0] + "_URL", words[0] + "_PID"])
            action = .spawn(
                name: words[0], arguments: try words.dropFirst(2).map { try template($0) },
                within: within ?? ScenarioParser.Defaults.spawn)
        case "close-stdin":
            try requireStarted(verb)
            guard rest.isEmpty else { throw fail("close-stdin takes no arguments") }
            action = .closeStdin
        case "cli":
            answered = true
            action = try cli(rest)
        case "ask-permission":
            try requireStarted(verb)
            let words = Self.words(rest)
            guard words.count >= 3, ScenarioParser.variableReferences(in: words[0]) == [String(words[0].dropFirst())]
            else { throw fail("ask-permission wants $NAME DIRECTORY PERMISSION [PATTERN…] (NAME in upper case)") }
            usesFakeOnly = usesFakeOnly ?? location
            let directory = try template(words[1])
            let patterns = try words.dropFirst(3).map { try template($0) }
            defined.insert(String(words[0].dropFirst()))
            action = .askPermission(
                variable: String(words[0].dropFirst()), directory: directory, permission: words[2], patterns: patterns)
        case "http":
            answered = true
            action = try http(rest)
        default:
            throw fail("unknown verb \"\(verb)\"")
        }
        return Step(location: location, text: line, action: action)
    }

    mutating func expect(_ rest: String) throws -> Action {
        let (kind, body) = Self.split(rest)
        switch kind {
        case "result", "error", "response":
            try requireAnswer("expect \(kind)")
            guard let part = AnswerPart(rawValue: kind) else { throw fail("unreachable") }
            let (mode, json) = Self.mode(body)
            return .expectAnswer(part, try self.json(json), mode)
        case "file":
            let (path, condition) = Self.split(body)
            guard !path.isEmpty else { throw fail("expect file wants PATH CONDITION") }
            let (word, argument) = Self.split(condition)
            let parsed: FileCondition
            switch word {
            case "exists": parsed = .exists
            case "absent": parsed = .absent
            case "equals":
                guard !argument.isEmpty, !argument.contains(" ") else { throw fail("expect file … equals SECTION") }
                parsed = .equals(section: argument)
            case "matches":
                let (mode, json) = Self.mode(argument)
                parsed = .matches(try self.json(json), mode)
            case "mode":
                guard argument.count >= 3, let bits = Int(argument, radix: 8), bits <= 0o7777 else {
                    throw fail("expect file … mode wants octal bits like 0600")
                }
                parsed = .mode(bits)
            default: throw fail("expect file PATH wants exists, absent, equals SECTION, matches JSON or mode OCTAL")
            }
            return .expectFile(try template(path), parsed)
        case "gone":
            let (variableText, within) = try Self.splitWithin(body, location: location)
            return .expectGone(variable: try variable(variableText), within: within ?? ScenarioParser.Defaults.gone)
        case "alive":
            return .expectAlive(variable: try variable(body))
        case "exit":
            try requireStarted("expect exit")
            let (codeText, within) = try Self.splitWithin(body, location: location)
            guard let code = Int32(codeText) else { throw fail("expect exit wants a code") }
            return .expectExit(code: code, within: within ?? ScenarioParser.Defaults.exit)
        case "status":
            try requireAnswer("expect status")
            guard let status = Int(body) else { throw fail("expect status wants a number") }
            return .expectStatus(status)
        case "each":
            try requireAnswer("expect each")
            let (mode, json) = Self.mode(body)
            return .expectEach(try self.json(json), mode)
        case "argv-clean":
            guard body.isEmpty else { throw fail("expect argv-clean takes no arguments") }
            return .expectArgvClean
        default:
            throw fail(
                "unknown expectation \"\(kind)\" (result, error, response, file, gone, alive, exit, status, each, "
                    + "argv-clean)")
        }
    }

    mutating func awaitOrRefute(_ verb: String, _ rest: String) throws -> Action {
        let (body, within) = try Self.splitWithin(rest, location: location)
        let (kind, argument) = Self.split(body)
        if verb == "refute", within == nil { throw fail("refute needs `within DURATION`") }
        switch kind {
        case "event":
            let (type, matcher) = Self.split(argument)
            guard !type.isEmpty, !type.hasPrefix("{") else { throw fail("\(verb) event wants TYPE [exact] [JSON]") }
            let (mode, text) = Self.mode(matcher)
            let expected = text.isEmpty ? JSONValue.object([:]) : try json(text)
            let deadline = within ?? ScenarioParser.Defaults.event
            return verb == "await"
                ? .awaitEvent(type: type, expected, mode, within: deadline)
                : .refuteEvent(type: type, expected, mode, within: deadline)
        case "response":
            let (mode, text) = Self.mode(argument)
            let expected = text.isEmpty ? JSONValue.object([:]) : try json(text)
            let deadline = within ?? ScenarioParser.Defaults.response
            return verb == "await"
                ? .awaitResponse(expected, mode, within: deadline) : .refuteResponse(expected, mode, within: deadline)
        default:
            throw fail("\(verb) wants `event` or `response`")
        }
    }

    mutating func waitUntil(_ rest: String) throws -> Action {
        let (body, within) = try Self.splitWithin(rest, location: location)
        guard let within else { throw fail("wait-until needs `within DURATION`") }
        let (call, afterCall) = Self.split(body)
        guard call == "call" else { throw fail("wait-until wants `call METHOD [JSON] matches JSON within D`") }
        var searchStart = afterCall.startIndex
        while let range = afterCall.range(of: " matches ", range: searchStart..<afterCall.endIndex) {
            let left = String(afterCall[..<range.lowerBound])
            let right = String(afterCall[range.upperBound...])
            if let (method, params) = try? methodAndParams(left) {
                let (mode, json) = Self.mode(right)
                return .waitUntil(
                    method: method, params: params, expected: try self.json(json), mode: mode, within: within)
            }
            searchStart = range.upperBound
        }
        throw fail("wait-until wants `call METHOD [JSON] matches JSON within D`")
    }

    mutating func methodAndParams(_ body: String) throws -> (String, JSONValue?) {
        let (method, params) = Self.split(body)
        guard !method.isEmpty, !method.hasPrefix("{"), !method.hasPrefix("[") else { throw fail("call wants METHOD") }
        return (method, params.isEmpty ? JSONValue?.none : try json(params))
    }

    func killTarget(_ word: String) throws -> KillTarget {
        switch word {
        case "opencode":
            try requireStarted("kill opencode")
            return .opencode
        case "openwork":
            try requireStarted("kill openwork")
            return .openwork
        case "daemon":
            return .daemon
        default:
            if word.hasPrefix("$") { return .variable(try variable(word)) }
            guard defined.contains(word + "_PID") else {
                throw fail("kill wants opencode, openwork, a spawned NAME or $VARIABLE; got \(word)")
            }
            return .spawned(word)
        }
    }

    func variable(_ word: String) throws -> String {
        guard word.hasPrefix("$"), ScenarioParser.variableReferences(in: word) == [String(word.dropFirst())] else {
            throw fail("wants a $VARIABLE, got \"\(word)\"")
        }
        let name = String(word.dropFirst())
        guard defined.contains(name) else { throw fail("undefined variable $\(name)") }
        return name
    }

    func requireStarted(_ what: String) throws {
        guard started else { throw fail("\(what) before `start`") }
    }

    func requireAnswer(_ what: String) throws {
        guard answered else { throw fail("\(what) before any `start`, `cli` or `http`") }
    }

    /// `cli [xN] ARGS… [within D]`.
    mutating func cli(_ rest: String) throws -> Action {
        let (body, within) = try Self.splitWithin(rest, location: location)
        var words = Self.words(body)
        var copies = 1
        if let first = words.first, first.hasPrefix("x"), let count = Int(first.dropFirst()) {
            guard (1...64).contains(count) else { throw fail("cli xN wants 1 to 64 copies") }
            copies = count
            words.removeFirst()
        }
        guard !words.isEmpty else { throw fail("cli wants the openwork arguments") }
        return .cli(
            arguments: try words.map { try template($0) }, copies: copies,
            within: within ?? ScenarioParser.Defaults.cli)
    }

    /// `http METHOD TARGET [JSON] [no-token | token=T] [host=H] [origin=O] [within D]`.
    mutating func http(_ rest: String) throws -> Action {
        let (body, within) = try Self.splitWithin(rest, location: location)
        let (method, afterMethod) = Self.split(body)
        let (target, afterTarget) = Self.split(afterMethod)
        guard ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"].contains(method), target.hasPrefix("/")
        else { throw fail("http wants METHOD /target [JSON] [options]") }
        var words = Self.words(afterTarget)
        var options = HTTPStepOptions()
        while let last = words.last {
            if last == "no-token" {
                options.token = .none
            } else if last.hasPrefix("token=") {
                options.token = .literal(try template(String(last.dropFirst("token=".count))))
            } else if last.hasPrefix("host=") {
                options.host = try template(String(last.dropFirst("host=".count)))
            } else if last.hasPrefix("origin=") {
                options.origin = try template(String(last.dropFirst("origin=".count)))
            } else {
                break
            }
            words.removeLast()
        }
        let payload = words.joined(separator: " ")
        return .http(
            method: method, target: try template(target), body: payload.isEmpty ? JSONValue?.none : try json(payload),
            options: options, within: within ?? ScenarioParser.Defaults.http)
    }

    mutating func template(_ text: String) throws -> Template {
        try checkDefined(ScenarioParser.variableReferences(in: text))
        if text.contains("/__fake") { usesFakeOnly = usesFakeOnly ?? location }
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

    func checkDefined(_ names: [String]) throws {
        for name in names where !defined.contains(name) { throw fail("undefined variable $\(name)") }
    }

    // MARK: Lexing

    /// The first word and the rest, trimmed.
    static func split(_ text: String) -> (String, String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else { return (trimmed, "") }
        return (String(trimmed[..<space]), trimmed[space...].trimmingCharacters(in: .whitespaces))
    }

    static func words(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    /// `exact JSON` or `JSON`.
    static func mode(_ text: String) -> (MatchMode, String) {
        let (first, rest) = split(text)
        return first == "exact" ? (.exact, rest) : (.subset, text)
    }

    /// Strips a trailing `within DURATION`.
    static func splitWithin(_ text: String, location: SourceLocation) throws -> (String, Duration?) {
        let words = text.split(separator: " ")
        guard words.count >= 2, words[words.count - 2] == "within" else { return (text, nil) }
        guard let duration = ScenarioParser.parseDuration(String(words[words.count - 1])) else {
            throw ScenarioParseError(location: location, message: "bad duration \"\(words[words.count - 1])\"")
        }
        guard let range = text.range(of: " within ", options: .backwards) else { return ("", duration) }
        return (text[..<range.lowerBound].trimmingCharacters(in: .whitespaces), duration)
    }
}
