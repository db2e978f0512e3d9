import Foundation
public import OpenWorkJSON

/// One row of the control plane's route table: an HTTP method and path pattern, the RPC method it calls, how the
/// request becomes that method's params, and the status of a success.
///
/// ``table`` is the only list of routes: the responder matches requests against it, the README's route list is
/// rendered from it (``markdownTable``) and the tests walk it. A pattern is literal segments and `:name`
/// parameters, each one percent-encoded segment (`%2F` for `/`), so a path can be an id. A row only maps; it
/// runs nothing. Rows are shared (a class): a match hands one on without copying its fields.
public final class RESTRoute: Sendable, Equatable, CustomStringConvertible {
    /// How a request becomes the params of the row's method.
    public enum Params: Sendable, Equatable {
        /// None, whatever the request carries.
        case none
        /// The JSON body as it is (no params without one).
        case body
        /// An object: the body's members (none without a body), then the path's parameters by name, then each of
        /// `query`'s names the query string carries. A later source wins.
        case object(query: [String])
        /// `{"types": […]}` from `types=a,b.*` (split on commas), or no params without it; answered as a stream of
        /// server-sent events instead of one JSON body.
        case eventTypes
        /// The body is a JSON-RPC message (a request, a notification or a batch) for the dispatcher as it is.
        case message
        /// None: answered with the OpenAPI document generated from this table (``openAPIDocument(methods:)``).
        case openAPI
    }

    /// `GET`, `POST` or `DELETE`.
    public let method: String
    /// `/workspaces/:id/path`: literal segments and `:name` parameters.
    public let pattern: String
    /// The method of the table this route calls; `nil` when the body names it (`POST /rpc`) or the route calls
    /// none (`GET /openapi.json`).
    public let rpcMethod: String?
    public let params: Params
    /// The HTTP status of a successful answer.
    public let status: Int
    /// What a reader of the route list needs beyond the columns (Markdown).
    public let notes: String
    /// The pattern's segments: a literal, or `nil` for a parameter.
    let literals: [String?]
    /// The names of the pattern's parameters, in order.
    public let parameterNames: [String]

    init(
        _ method: String, _ pattern: String, _ rpcMethod: String?, params: Params = .none, status: Int = 200,
        notes: String = ""
    ) {
        self.method = method
        self.pattern = pattern
        self.rpcMethod = rpcMethod
        self.params = params
        self.status = status
        self.notes = notes
        let segments = pattern.split(separator: "/").map(String.init)
        literals = segments.map { $0.hasPrefix(":") ? nil : $0 }
        parameterNames = segments.filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
    }

    /// `GET /workspaces/:id`.
    public var description: String { "\(method) \(pattern)" }

    /// Rows are the same when their method and pattern are: the table holds each pair once.
    public static func == (lhs: RESTRoute, rhs: RESTRoute) -> Bool {
        lhs.method == rhs.method && lhs.pattern == rhs.pattern
    }

    /// A request matched to a row: the row and the values of its path parameters (percent-decoded), in the order
    /// of ``RESTRoute/parameterNames``.
    public struct Match: Sendable, Equatable {
        public let route: RESTRoute
        public let parameters: [String]

        /// The params of the row's method for this request: `query` is the raw query string, `body` the parsed
        /// JSON body (`nil` when there was none).
        public func params(query: String?, body: JSONValue?) -> JSONValue? {
            switch route.params {
            case .none, .message, .openAPI: return nil
            case .body: return body
            case .eventTypes:
                guard let types = RESTRoute.query(query)["types"] else { return nil }
                return ["types": .array(types.split(separator: ",").map { .string(String($0)) })]
            case .object(let names):
                var members = body?.objectValue ?? [:]
                for (name, value) in zip(route.parameterNames, parameters) { members[name] = .string(value) }
                if !names.isEmpty {
                    let query = RESTRoute.query(query)
                    for name in names { if let value = query[name] { members[name] = .string(value) } }
                }
                return .object(members)
            }
        }
    }

    /// The first row of ``table`` whose method and pattern fit the request, or `nil`.
    ///
    /// Empty segments are skipped (`/health/` is `/health`), and a segment is percent-decoded before it is compared
    /// or taken as a parameter.
    public static func match(method: String, path: String) -> Match? {
        guard let rows = byMethod[method] else { return nil }
        var segments: [Substring] = []
        for segment in path.split(separator: "/") {
            guard segments.count < longestPattern else { return nil }
            segments.append(segment)
        }
        for route in rows where route.literals.count == segments.count {
            var parameters: [String] = []
            var matches = true
            for (literal, raw) in zip(route.literals, segments) {
                let segment = decoded(raw)
                if let literal {
                    guard literal == segment else {
                        matches = false
                        break
                    }
                } else {
                    parameters.append(segment)
                }
            }
            if matches { return Match(route: route, parameters: parameters) }
        }
        return nil
    }

    /// The rows of ``table`` by HTTP method, in table order, built once.
    private static let byMethod: [String: [RESTRoute]] = Dictionary(grouping: table, by: \.method)
    private static let longestPattern = table.map(\.literals.count).max() ?? 0

    /// One path segment percent-decoded; a segment that is not valid percent-encoding stays as it is.
    private static func decoded(_ segment: Substring) -> String {
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return String(segment) }
        return segment.removingPercentEncoding ?? String(segment)
    }

    /// `a=b&c=d`, percent-decoded (`+` is a space); the first value of a repeated name wins.
    static func query(_ text: String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (text ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            if result[name] == nil { result[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return result
    }
}
