import HTTPTypes
public import Hummingbird

/// The one door every request of the control plane passes: ``AccessPolicy``'s verdict on what the request carries,
/// and the CORS answers that go with it.
///
/// A refusal is answered here (`WWW-Authenticate: Bearer` with a 401) and nothing behind runs; an `OPTIONS`
/// preflight that passes is answered here too (204); every other request goes on, and an allowed `Origin` is
/// echoed on its answer. It reads headers only: it never reads a body, and it decides nothing itself.
public struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The policy for this request: the server's port is known only once it listens.
    let policy: @Sendable () -> AccessPolicy

    public init(policy: @escaping @Sendable () -> AccessPolicy) {
        self.policy = policy
    }

    public init(_ policy: AccessPolicy) {
        self.init { policy }
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let origin = request.headers[.origin]
        if case .refuse(let status, let kind, let message) = policy().verdict(for: Self.credentials(request)) {
            var response = ControlPlaneResponder.failure(status: status, kind: kind, message: message)
            if status == 401 { response.headers[.wwwAuthenticate] = "Bearer" }
            return response
        }
        var response: Response
        if request.method == .options {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, DELETE"
            response.headers[.accessControlAllowHeaders] = "authorization, content-type"
        } else {
            response = try await next(request, context)
        }
        if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
        }
        return response
    }

    /// What the request carries that the policy judges.
    static func credentials(_ request: Request) -> AccessPolicy.Credentials {
        AccessPolicy.Credentials(
            method: request.method.rawValue, path: request.uri.path, authority: request.head.authority,
            repeatedHost: Fields.host.map { request.headers[$0] != nil } ?? false, origin: request.headers[.origin],
            authorization: request.headers[.authorization], target: Fields.target.flatMap { request.headers[$0] })
    }
}

/// The header names ``AccessMiddleware`` reads beyond the standard ones, made once.
private enum Fields {
    /// A second `Host` header: Hummingbird keeps the first as the authority and this one among the headers.
    static let host = HTTPField.Name("Host")
    static let target = HTTPField.Name(ControlPlane.requestTargetField)
}
