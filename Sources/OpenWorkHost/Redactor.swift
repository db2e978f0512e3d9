import Foundation

/// Removes secrets from a log line, by the anchor's rules and by value: `Bearer x` and `Basic x`;
/// `(OPENWORK|OPENCODE)_…(TOKEN|PASSWORD|USERNAME|AUTHORIZATION)…=value`; the JSON members `token`, `hostToken`,
/// `ownerToken`, `collaboratorToken`, `controlToken`, `password`, `authorization`; the value after `--token`,
/// `--host-token`, `--opencode-password`, `--opencode-username`; and every secret this run made, wherever it
/// appears. Each becomes `[REDACTED]`.
///
/// Pure: the secrets are given, nothing is remembered between lines.
public struct Redactor: Sendable {
    public static let mask = "[REDACTED]"
    static let jsonKeys = [
        "token", "hostToken", "ownerToken", "collaboratorToken", "controlToken", "password", "authorization",
    ]
    static let flags = ["--token", "--host-token", "--opencode-password", "--opencode-username"]
    static let variableMarkers = ["TOKEN", "PASSWORD", "USERNAME", "AUTHORIZATION"]

    /// Values to remove wherever they appear (shorter than 6 characters are ignored: they would mask ordinary
    /// words).
    public var secrets: [String]

    public init(secrets: [String] = []) {
        self.secrets = secrets.filter { $0.count >= 6 }.sorted { $0.count > $1.count }
    }

    public func redact(_ line: String) -> String {
        var text = line
        for secret in secrets { text = text.replacingAll(secret, with: Self.mask) }
        text = Self.redactSchemes(text)
        text = Self.redactVariables(text)
        text = Self.redactJSONMembers(text)
        text = Self.redactFlags(text)
        return text
    }

    /// `Bearer x`, `Basic x` (case-insensitive scheme): the credential word after it.
    static func redactSchemes(_ text: String) -> String {
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        for index in words.indices.dropLast() {
            let scheme = words[index].lowercased().trimmingCharacters(in: ["\"", "'", ":"])
            guard scheme == "bearer" || scheme == "basic", !words[index + 1].isEmpty,
                words[index + 1] != mask
            else { continue }
            words[index + 1] = mask + trailingPunctuation(of: words[index + 1])
        }
        return words.joined(separator: " ")
    }

    /// `OPENWORK_HOST_TOKEN=value`, `OPENCODE_SERVER_PASSWORD=value`: the value, up to the next space or quote.
    static func redactVariables(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let equals = rest.firstIndex(of: "=") {
            let before = rest[..<equals]
            let name = before.reversed().prefix { $0.isUppercase || $0.isNumber || $0 == "_" }.reversed()
            result += before
            result += "="
            rest = rest[rest.index(after: equals)...]
            let variable = String(name)
            guard variable.hasPrefix("OPENWORK_") || variable.hasPrefix("OPENCODE_"),
                variableMarkers.contains(where: variable.contains)
            else { continue }
            let value = rest.prefix { $0 != " " && $0 != "\"" && $0 != "'" && $0 != "," && $0 != "\n" }
            guard !value.isEmpty else { continue }
            result += mask
            rest = rest[value.endIndex...]
        }
        return result + rest
    }

    /// `"password":"value"` (and the other keys), with or without spaces after the colon.
    static func redactJSONMembers(_ text: String) -> String {
        var text = text
        for key in jsonKeys {
            let marker = "\"\(key)\""
            var searchStart = text.startIndex
            while let found = text.range(of: marker, range: searchStart..<text.endIndex) {
                var cursor = found.upperBound
                while cursor < text.endIndex, text[cursor] == " " || text[cursor] == ":" {
                    cursor = text.index(after: cursor)
                }
                guard cursor < text.endIndex, text[cursor] == "\"",
                    text[found.upperBound..<cursor].contains(":")
                else {
                    searchStart = found.upperBound
                    continue
                }
                let valueStart = text.index(after: cursor)
                var valueEnd = valueStart
                while valueEnd < text.endIndex, text[valueEnd] != "\"" {
                    if text[valueEnd] == "\\" { valueEnd = text.index(after: valueEnd) }
                    guard valueEnd < text.endIndex else { break }
                    valueEnd = text.index(after: valueEnd)
                }
                text.replaceSubrange(valueStart..<valueEnd, with: mask)
                searchStart = text.index(valueStart, offsetBy: mask.count)
            }
        }
        return text
    }

    /// `--token value` and `--token=value` for the secret-bearing flags.
    static func redactFlags(_ text: String) -> String {
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        for index in words.indices {
            for flag in flags {
                if words[index] == flag, index + 1 < words.count, !words[index + 1].isEmpty {
                    words[index + 1] = mask
                } else if words[index].hasPrefix(flag + "=") {
                    words[index] = flag + "=" + mask
                }
            }
        }
        return words.joined(separator: " ")
    }

    private static func trailingPunctuation(of word: String) -> String {
        String(word.reversed().prefix { $0 == "\"" || $0 == "'" || $0 == "," || $0 == "}" }.reversed())
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
