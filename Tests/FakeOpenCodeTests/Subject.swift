import Foundation
import OpenWorkTesting
import Testing

/// The program a contract test runs against: the built `fake-opencode`, or a real opencode from `OPENCODE_BIN`.
enum Subject: String, Sendable, CustomTestStringConvertible {
    case fake
    case real

    /// Whether a real opencode was given; without it the real-opencode suite is reported as skipped.
    static let realIsAvailable = !(ProcessInfo.processInfo.environment["OPENCODE_BIN"] ?? "").isEmpty

    static let realSkipReason: Comment = """
        OPENCODE_BIN not set: the contract was not checked against a real opencode \
        (run OPENCODE_BIN=/path/to/opencode swift test --filter FakeOpenCodeTests)
        """

    var executable: String {
        switch self {
        case .fake: BuiltProducts.path(of: "fake-opencode")
        case .real: ProcessInfo.processInfo.environment["OPENCODE_BIN"] ?? "opencode"
        }
    }

    var testDescription: String { self == .fake ? "fake-opencode" : "real opencode" }

    /// This process's environment minus every auth and fault-knob variable, plus `extra`.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("FAKE_OPENCODE_") && !key.hasPrefix("OPENCODE_SERVER_") && key != "OPENCODE_BIN"
        }
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Starts `serve --hostname 127.0.0.1 --port 0` (plus `extraArguments`) and waits for the listening line.
    func start(
        environment extra: [String: String] = [:],
        extraArguments: [String] = [],
        workingDirectory: String? = nil
    ) async throws -> Server {
        let process = try await OpenCodeProcess.start(
            executable: executable,
            arguments: OpenCodeProcess.serveArguments + extraArguments,
            environment: Self.environment(extra),
            workingDirectory: workingDirectory
        )
        var client = HTTPTestClient(baseURL: process.baseURL)
        if let password = extra["OPENCODE_SERVER_PASSWORD"], !password.isEmpty {
            client.credentials = Credentials(user: extra["OPENCODE_SERVER_USERNAME"] ?? "opencode", password: password)
        }
        return Server(process: process, client: client)
    }

    /// Starts a fake with fault knobs (`FAKE_OPENCODE_` is prepended to each name).
    static func fake(
        knobs: [String: String] = [:],
        environment: [String: String] = [:],
        extraArguments: [String] = [],
        workingDirectory: String? = nil
    ) async throws -> Server {
        var merged = environment
        for (name, value) in knobs { merged["FAKE_OPENCODE_" + name] = value }
        return try await Subject.fake.start(
            environment: merged,
            extraArguments: extraArguments,
            workingDirectory: workingDirectory
        )
    }
}

/// A started server and a client pointed at it.
struct Server: Sendable {
    let process: OpenCodeProcess
    var client: HTTPTestClient

    var testProcess: TestProcess { process.process }

    @discardableResult
    func stop() async -> TestProcess.Exit {
        await process.stop(grace: .seconds(3))
    }
}
