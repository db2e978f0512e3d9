import Hummingbird
import OpenWorkJSON

/// JSON answers, and errors in the OpenWork server's shape: `{"code":…,"message":…,"details"?:…}`.
enum Reply {
    static func json(_ status: Int, _ value: JSONValue) -> Response {
        let bytes = (try? value.serializedBytes(.compact)) ?? Array(#"{"code":"internal"}"#.utf8)
        return Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ status: Int, _ code: String, _ message: String, details: JSONValue? = nil) -> Response {
        var body: JSONValue = ["code": .string(code), "message": .string(message)]
        if let details { body["details"] = details }
        return json(status, body)
    }

    static let unauthorizedClient = error(401, "unauthorized", "Invalid bearer token")
    static let unauthorizedHost = error(401, "unauthorized", "a valid X-OpenWork-Host-Token is required")
}
