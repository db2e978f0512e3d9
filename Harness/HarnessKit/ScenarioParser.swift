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
///
/// It reads headers and sections and lexes; it knows no verbs: each step line goes to ``StepRegistry``, which
/// finds the verb's parser in its file in `Steps/`.
public enum ScenarioParser {
    /// Variables every scenario has.
    public static let builtinVariables: Set<String> = [
        "WORK", "DATA", "OPENCODE_BIN", "OPENWORK_BIN", "OPENWORK_SERVER_BIN", "OPENCODE_ROUTER_BIN",
    ]

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

// MARK: Lexing

extension ScenarioParser {
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
}

/// Reads a file line by line: headers and sections here, each step line through ``StepRegistry``; then the
/// checks that need the whole file (referenced sections exist, fake-only steps declare `# requires: fake`).
private struct LineParser {
    let file: String
    var steps: StepParser

    init(file: String) {
        self.file = file
        steps = StepParser(file: file)
    }

    func fail(_ message: String) -> ScenarioParseError { steps.fail(message) }

    mutating func parse(_ text: String) throws -> Scenario {
        var scenario = Scenario(
            file: file, title: "", docs: [], requirements: [], tags: [], steps: [], sections: [:])
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var sectionName: String?
        var sectionLines: [String] = []
        func closeSection(into scenario: inout Scenario) {
            if let sectionName { scenario.sections[sectionName] = sectionLines.map { $0 + "\n" }.joined() }
        }
        for (offset, raw) in lines.enumerated() {
            steps.line = offset + 1
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
            let action = try StepRegistry.parse(line, &steps)
            scenario.steps.append(Step(location: steps.location, text: line, action: action))
        }
        closeSection(into: &scenario)
        for (section, location) in steps.referencedSections where scenario.sections[section] == nil {
            throw ScenarioParseError(location: location, message: "no section \"-- \(section) --\" in this file")
        }
        if let usesFakeOnly = steps.usesFakeOnly, !scenario.requirements.contains("fake") {
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

    func header(_ line: String, into scenario: inout Scenario) throws {
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
        } else if let tags = value("tags") {
            for item in tags.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) {
                guard item.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                    throw fail("a tag is letters, digits, - and _, got \"\(item)\"")
                }
                if !scenario.tags.contains(item) { scenario.tags.append(item) }
            }
        }
    }
}
