public import OpenWorkJSON

/// A JSON-RPC request id: a string, a number or null, echoed back exactly as received.
public struct RequestID: Sendable, Hashable, CustomStringConvertible {
    public let json: JSONValue

    /// Accepts the id types the spec allows; returns `nil` for objects, arrays and booleans.
    public init?(_ json: JSONValue) {
        switch json {
        case .string, .integer, .double, .null: self.json = json
        default: return nil
        }
    }

    public static let null = RequestID(uncheckedJSON: .null)

    /// The longest string id a request may carry; a longer one makes the request invalid (answered with
    /// `id: null`, as the spec asks when the id cannot be used).
    public static let maximumStringBytes = 1_024

    private init(uncheckedJSON: JSONValue) { self.json = uncheckedJSON }

    public var description: String { json.description }
}

extension RequestID: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int64) { self.json = .integer(value) }
    public init(stringLiteral value: String) { self.json = .string(value) }
}
