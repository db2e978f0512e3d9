import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// HTTP Basic authentication when `OPENCODE_SERVER_PASSWORD` is set.
@Suite("contract: authentication")
struct AuthContractTests {
    static let password = ["OPENCODE_SERVER_PASSWORD": "correct horse"]

    @Test(arguments: Subject.available)
    func everyRouteWithoutCredentialsGets401WithTheChallenge(_ subject: Subject) async throws {
        let directory = try TemporaryDirectory()
        let server = try await subject.start(environment: Self.password)
        let query = "?" + Shapes.directoryQuery(directory.path)
        for target in [
            "/global/health", "/doc", "/event" + query, "/path" + query, "/session" + query, "/config" + query,
        ] {
            let response = try await server.client.get(target, authenticate: false)
            #expect(response.status == 401, "\(target)")
            #expect(response.header("WWW-Authenticate") == "Basic realm=\"Secure Area\"", "\(target)")
        }
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func basicCredentialsWithTheDefaultUsernameAreAccepted(_ subject: Subject) async throws {
        let server = try await subject.start(environment: Self.password)
        #expect(server.client.credentials?.user == "opencode")
        let health = try await server.client.get("/global/health")
        #expect(health.status == 200)
        #expect(try health.json()["healthy"] == true)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func wrongPasswordOrUsernameGets401(_ subject: Subject) async throws {
        let server = try await subject.start(environment: Self.password)
        for credentials in [
            Credentials(user: "opencode", password: "wrong"), Credentials(user: "admin", password: "correct horse"),
        ] {
            var client = server.client
            client.credentials = credentials
            #expect(try await client.get("/global/health").status == 401)
        }
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func usernameComesFromTheEnvironment(_ subject: Subject) async throws {
        let server = try await subject.start(
            environment: Self.password.merging(["OPENCODE_SERVER_USERNAME": "alice"]) { $1 }
        )
        #expect(try await server.client.get("/global/health").status == 200)
        var asDefault = server.client
        asDefault.credentials = Credentials(user: "opencode", password: "correct horse")
        #expect(try await asDefault.get("/global/health").status == 401)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func authTokenQueryParameterIsAccepted(_ subject: Subject) async throws {
        let server = try await subject.start(environment: Self.password)
        let token = try #require(server.client.credentials?.token)
        let encoded = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token
        #expect(try await server.client.get("/global/health?auth_token=\(encoded)", authenticate: false).status == 200)
        let wrong = Credentials(user: "opencode", password: "nope").token
        #expect(try await server.client.get("/global/health?auth_token=\(wrong)", authenticate: false).status == 401)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func corsPreflightIsExemptFromAuthentication(_ subject: Subject) async throws {
        let server = try await subject.start(environment: Self.password)
        let response = try await server.client.send(
            "OPTIONS",
            "/session",
            headers: [
                ("Origin", "http://localhost:3000"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "authorization,content-type"),
            ],
            authenticate: false
        )
        #expect((200..<300).contains(response.status), "status \(response.status)")
        #expect(response.header("Access-Control-Allow-Origin") == "http://localhost:3000")
        await server.stop()
    }
}
