import OpenWorkJSON

/// A request as the routes see it, independent of the HTTP library.
struct Call: Sendable {
    var method: String
    var path: String
    var query: QueryString
    var body: [UInt8] = []

    /// The body as a JSON object; an empty body counts as `{}`.
    func jsonObjectBody() throws(Reply.Rejection) -> [String: JSONValue] {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [:] }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw Reply.Rejection(message: "Malformed JSON in request body: \(error.description)")
        }
        guard let object = value.objectValue else {
            throw Reply.Rejection(message: "Expected a JSON object, received \(value.typeName)")
        }
        return object
    }
}
