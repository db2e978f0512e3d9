/// A JSON document as a Swift value.
///
/// Integers and reals are kept apart: `1` parses as `.integer(1)` and `1.0` as `.double(1.0)`, and each
/// serializes back the way it came in. Objects do not keep their key order; use ``JSONFormat/canonical`` or
/// ``JSONFormat/pretty`` when the order of keys matters to a reader.
///
/// `JSONValue` does not parse or print by itself: that goes through libjansson (see `JSONValue+Jansson.swift`),
/// so the rules for duplicate keys, invalid UTF-8, overflowing numbers and nesting depth are jansson's plus ours,
/// documented on ``JSONError``.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// The deepest nesting of arrays and objects accepted when parsing or serializing.
    ///
    /// Deeper documents fail with ``JSONError/Kind/tooDeep`` instead of exhausting a thread's stack.
    public static let maximumDepth = 512

    /// The name of this value's JSON type, for error messages: `"null"`, `"boolean"`, `"integer"`, …
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
