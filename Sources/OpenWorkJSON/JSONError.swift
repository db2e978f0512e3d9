/// Why a JSON text could not be parsed, or a value could not be serialized.
///
/// The behaviour at the edges is defined, not accidental:
/// - duplicate keys in one object are rejected (``Kind/duplicateKey``);
/// - invalid UTF-8 is rejected (``Kind/invalidUTF8``);
/// - integers outside `Int64` and reals outside `Double` are rejected, never rounded (``Kind/numberOutOfRange``);
/// - NaN and infinity cannot be encoded (``Kind/notEncodable``);
/// - `\u0000` inside string values is accepted and round-trips; inside object keys it is rejected both when
///   parsing and when serializing (``Kind/nulInKey``: jansson cannot read such keys back);
/// - nesting deeper than ``JSONValue/maximumDepth`` is rejected (``Kind/tooDeep``).
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable classification of the failure.
    public enum Kind: String, Sendable, Hashable {
        case syntax
        case invalidUTF8 = "invalid_utf8"
        case duplicateKey = "duplicate_key"
        case numberOutOfRange = "number_out_of_range"
        case tooDeep = "too_deep"
        case notEncodable = "not_encodable"
        case emptyInput = "empty_input"
        case nulInKey = "nul_in_key"
    }

    public var kind: Kind
    public var message: String
    /// 1-based line and column of the failure in the input, when parsing.
    public var line: Int?
    public var column: Int?
    /// 0-based byte offset of the failure in the input, when parsing.
    public var position: Int?

    public init(_ kind: Kind, _ message: String, line: Int? = nil, column: Int? = nil, position: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.position = position
    }

    public var description: String {
        guard let line, let column else { return message }
        return "\(message) (line \(line), column \(column))"
    }
}
