public import OpenWorkJSON

/// Values captured by a running scenario, and the built-in ones (`$WORK`, `$DATA`, …).
public typealias Variables = [String: JSONValue]

/// How strictly an expected JSON value is compared with an actual one.
public enum MatchMode: String, Sendable {
    /// Objects may have members the expectation does not name.
    case subset
    /// Objects must have exactly the members the expectation names.
    case exact
}

/// Why an actual JSON value does not match an expectation.
public struct Mismatch: Sendable, Hashable, CustomStringConvertible {
    /// A JSON Pointer to the place that differs (`""` for the whole value).
    public var path: String
    public var reason: String
    public var description: String { "at \(path.isEmpty ? "/" : path): \(reason)" }
}

/// Compares actual JSON with an expectation written in a scenario.
///
/// - Objects: every expected member must match (`subset`, the default) and, with `exact`, no other member may
///   exist. `"$absent"` as a member's value requires the member to be missing.
/// - Arrays: same length, element by element, in the same mode; an array starting with `"$contains"` instead
///   wants each of its other elements to match some element, in any order.
/// - Strings starting with `$` are placeholders: `"$any"`, `"$int"`, `"$number"`, `"$string"`, `"$bool"`,
///   `"$null"`, `"$array"`, `"$object"`, `"$re:PATTERN"` (an unanchored search in a string; `$NAME` inside is
///   substituted first), `"$ne:VALUE"` (anything but VALUE), and `"$NAME"` (equal to the captured value, with
///   its type). Any other string has its `$NAME` references substituted and is compared as text.
///
/// It does not compare numbers across types: `1` does not match `1.0`.
public enum JSONMatcher {
    public static func match(
        _ expected: JSONValue, _ actual: JSONValue?, mode: MatchMode = .subset, variables: Variables = [:]
    ) -> Mismatch? {
        match(expected, actual, mode: mode, variables: variables, path: "")
    }

    private static func match(
        _ expected: JSONValue, _ actual: JSONValue?, mode: MatchMode, variables: Variables, path: String
    ) -> Mismatch? {
        func mismatch(_ reason: String) -> Mismatch { Mismatch(path: path, reason: reason) }
        if case .string(let text) = expected, text.hasPrefix("$") {
            return placeholder(text, actual, variables: variables).map(mismatch)
        }
        guard let actual else { return mismatch("missing, expected \(render(expected, variables))") }
        switch (expected, actual) {
        case (.object(let wanted), .object(let got)):
            for key in wanted.keys.sorted() {
                guard let value = wanted[key] else { continue }
                let childPath = path + "/" + escape(substitute(key, variables))
                if value == .string("$absent") {
                    if got[substitute(key, variables)] != nil { return Mismatch(path: childPath, reason: "present") }
                    continue
                }
                if let found = match(
                    value, got[substitute(key, variables)], mode: mode, variables: variables, path: childPath)
                {
                    return found
                }
            }
            if mode == .exact {
                let extra = Set(got.keys).subtracting(wanted.keys.map { substitute($0, variables) })
                if !extra.isEmpty { return mismatch("unexpected members \(extra.sorted())") }
            }
            return nil
        case (.array(let wanted), .array(let got)) where wanted.first == "$contains":
            for (index, value) in wanted.dropFirst().enumerated()
            where !got.contains(where: { match(value, $0, mode: mode, variables: variables, path: path) == nil }) {
                return Mismatch(path: path, reason: "no element matches \(render(value)) (expected item \(index))")
            }
            return nil
        case (.array(let wanted), .array(let got)):
            guard wanted.count == got.count else {
                return mismatch("expected \(wanted.count) elements, got \(got.count)")
            }
            for (index, value) in wanted.enumerated() {
                if let found = match(value, got[index], mode: mode, variables: variables, path: path + "/\(index)") {
                    return found
                }
            }
            return nil
        case (.string(let text), _):
            let wanted = JSONValue.string(substitute(text, variables))
            return wanted == actual ? nil : mismatch("expected \(render(wanted)), got \(render(actual))")
        default:
            return expected == actual ? nil : mismatch("expected \(render(expected)), got \(render(actual))")
        }
    }

    /// `nil` when `actual` satisfies the placeholder, else the reason.
    private static func placeholder(_ text: String, _ actual: JSONValue?, variables: Variables) -> String? {
        let kinds: [String: (JSONValue) -> Bool] = [
            "$any": { _ in true },
            "$int": { if case .integer = $0 { true } else { false } },
            "$number": {
                switch $0 {
                case .integer, .double: true
                default: false
                }
            },
            "$string": { if case .string = $0 { true } else { false } },
            "$bool": { if case .bool = $0 { true } else { false } },
            "$null": { $0 == .null },
            "$array": { if case .array = $0 { true } else { false } },
            "$object": { if case .object = $0 { true } else { false } },
        ]
        if text == "$absent" { return actual == nil ? nil : "expected absent, got \(render(actual))" }
        guard let actual else { return "missing, expected \(text)" }
        if let test = kinds[text] { return test(actual) ? nil : "expected \(text), got \(render(actual))" }
        if text.hasPrefix("$re:") {
            let pattern = substitute(String(text.dropFirst(4)), variables)
            guard case .string(let string) = actual else { return "expected a string matching /\(pattern)/" }
            guard let regex = try? Regex(pattern) else { return "bad pattern /\(pattern)/" }
            return string.contains(regex) ? nil : "\(render(actual)) does not match /\(pattern)/"
        }
        if text.hasPrefix("$ne:") {
            let other = value(of: String(text.dropFirst(4)), variables)
            return other == actual ? "expected anything but \(render(other))" : nil
        }
        let wanted = value(of: text, variables)
        return wanted == actual ? nil : "expected \(render(wanted)) (\(text)), got \(render(actual))"
    }

    /// A captured variable's value when `text` is exactly `$NAME`; else the substituted text, read as JSON
    /// when it is JSON and as a string otherwise.
    static func value(of text: String, _ variables: Variables) -> JSONValue {
        let names = ScenarioParser.variableReferences(in: text)
        if names.count == 1, text == "$" + names[0], let value = variables[names[0]] { return value }
        let substituted = substitute(text, variables)
        return (try? JSONValue(parsing: substituted)) ?? .string(substituted)
    }

    /// `text` with every `$NAME` replaced: strings as they are, other values in compact JSON.
    public static func substitute(_ text: String, _ variables: Variables) -> String {
        guard text.contains("$") else { return text }
        var result = ""
        var index = text.startIndex
        while let dollar = text[index...].firstIndex(of: "$") {
            result += text[index..<dollar]
            var end = text.index(after: dollar)
            while end < text.endIndex, text[end].isASCII,
                text[end].isUppercase || (end > text.index(after: dollar) && (text[end].isNumber || text[end] == "_"))
            {
                end = text.index(after: end)
            }
            let name = String(text[text.index(after: dollar)..<end])
            if !name.isEmpty, let value = variables[name] {
                result += value.stringValue ?? ((try? value.serialized()) ?? "")
            } else {
                result += text[dollar..<end]
            }
            index = end
        }
        result += text[index...]
        return result
    }

    /// A request payload with variables filled in: `"$NAME"` alone becomes the captured value (keeping its
    /// type); other strings are substituted as text.
    public static func resolve(_ template: JSONValue, _ variables: Variables) -> JSONValue {
        switch template {
        case .string(let text):
            let names = ScenarioParser.variableReferences(in: text)
            if names.count == 1, text == "$" + names[0], let value = variables[names[0]] { return value }
            return .string(substitute(text, variables))
        case .array(let items): return .array(items.map { resolve($0, variables) })
        case .object(let members):
            var resolved: [String: JSONValue] = [:]
            for (key, value) in members { resolved[substitute(key, variables)] = resolve(value, variables) }
            return .object(resolved)
        default: return template
        }
    }

    static func render(_ value: JSONValue?, _ variables: Variables = [:]) -> String {
        guard let value else { return "nothing" }
        return (try? value.serialized(.canonical)) ?? "\(value)"
    }

    private static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
