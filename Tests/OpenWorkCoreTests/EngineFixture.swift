import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// An engine in this process supervising the real `fake-opencode` binary, with two workspace directories.
struct EngineFixture {
    let root: TemporaryDirectory
    let a: String
    let b: String

    init() throws {
        let root = try TemporaryDirectory("engine")
        let made = try root.makeDirectories("w/a", "w/b")
        self.root = root
        a = made[0]
        b = made[1]
    }

    typealias Tuning = @Sendable (inout OpenCodeService.Configuration) -> Void

    /// Runs `body` with an engine whose opencode is the fake with `knobs`, and fast supervisor timings.
    func withEngine<T: Sendable>(
        knobs: [String: String] = [:],
        executable: String = FakeOpenCode.path,
        tune: @escaping Tuning = { _ in },
        _ body: (Engine) async throws -> T
    ) async throws -> T {
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_OPENCODE_INTROSPECTION"] = "1"
        environment.merge(knobs) { _, new in new }
        var configuration = Engine.Configuration(
            dataDirectory: DataDirectory(path: root.appending("data")), environment: environment)
        configuration.opencodeExecutable = executable
        // Hang deadlines, far above what a start takes even on a loaded machine: a test that expects a failure
        // reaches it by its own causes (crash loop, short start timeout), never by this clock.
        configuration.readyDeadline = .seconds(60)
        configuration.tuneSupervisor = { opencode in
            opencode.startTimeout = .seconds(60)
            opencode.stop.grace = .seconds(2)
            opencode.policy.floor = .milliseconds(20)
            opencode.health.interval = .milliseconds(200)
            opencode.health.timeout = .milliseconds(500)
            tune(&opencode)
        }
        return try await Engine.run(configuration, body)
    }

    /// Adds workspace `a` and routes a request to it, so opencode runs; its pid.
    func serveA(_ engine: Engine) async throws -> Int32 {
        _ = try await engine.add(path: a, name: nil, cwd: nil)
        _ = try await engine.path(a, cwd: nil)
        return try #require(await Self.pid(engine))
    }

    static func pid(_ engine: Engine) async -> Int32? {
        await engine.supervisor.snapshot.pid
    }

    static func baseURL(_ engine: Engine) async -> String {
        await engine.supervisor.snapshot.endpoint?.baseURL ?? ""
    }

    static func instances(_ engine: Engine) async throws -> [String] {
        try await FakeOpenCode.state(baseURL: baseURL(engine))["instances"]?.arrayValue?
            .compactMap { $0["directory"]?.stringValue }.sorted() ?? []
    }

    /// Waits (within `deadline`) until a child other than `pid` is ready.
    static func replaced(_ pid: Int32, in engine: Engine, within deadline: Duration = .seconds(60)) async -> Bool {
        await FakeOpenCode.eventually(within: deadline) {
            let now = await engine.supervisor.snapshot
            return now.phase == .ready && now.pid != nil && now.pid != pid
        }
    }
}
