/// A JSON Pointer (RFC 6901): `""` is the whole document, `"/a/0/b~1c"` walks keys and indexes.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The unescaped reference tokens.
    public let tokens: [String]

    /// Parses a pointer. A non-empty pointer must start with `/`; `~` must be followed by `0` or `1`.
    public init(_ text: String) throws(JSONError) {
        guard !text.isEmpty else {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw JSONError(.syntax, "JSON Pointer \"\(text)\" must be empty or start with \"/\"")
        }
        var parsed: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var iterator = raw.makeIterator()
            while let character = iterator.next() {
                guard character == "~" else {
                    token.append(character)
                    continue
                }
                switch iterator.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default: throw JSONError(.syntax, "JSON Pointer \"\(text)\" has a \"~\" not followed by 0 or 1")
                }
            }
            parsed.append(token)
        }
        tokens = parsed
    }

    public init(tokens: [String]) { self.tokens = tokens }

    public var description: String {
        var text = ""
        for token in tokens {
            text.append("/")
            for character in token {
                switch character {
                case "~": text.append("~0")
                case "/": text.append("~1")
                default: text.append(character)
                }
            }
        }
        return text
    }
}

extension JSONValue {
    /// The value the pointer refers to, or `nil` when any step is missing.
    ///
    /// Array indexes must be decimal without leading zeros (`"-"` refers to nothing here, since it names the
    /// element after the last).
    public func value(at pointer: JSONPointer) -> JSONValue? {
        var current = self
        for token in pointer.tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Self.arrayIndex(token), elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The value at a pointer given as text.
    ///
    /// - Throws: ``JSONError`` when the pointer's syntax is invalid.
    public func value(atPointer text: String) throws(JSONError) -> JSONValue? {
        value(at: try JSONPointer(text))
    }

    private static func arrayIndex(_ token: String) -> Int? {
        guard !token.isEmpty, token.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        guard token == "0" || !token.hasPrefix("0") else { return nil }
        return Int(token)
    }
}
