import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkTesting

/// Registry operations at growing sizes, each including its durable write (fsync of file and directory).
enum RegistryBench {
    static func run(quick: Bool) async throws {
        print("\n## Registry (median ms per operation, durable write included)\n")
        print("| workspaces | add | switch | list (cached) | list (cold read) | state file |")
        print("|---|---|---|---|---|---|")
        for size in quick ? [100, 1_000] : [100, 1_000, 10_000] {
            let root = try TemporaryDirectory("registry-bench")
            let dataDir = root.appending("data")
            try seed(dataDir: dataDir, count: size)
            let registry = try Registry(.init(dataDirectory: DataDirectory(path: dataDir), home: nil))
            let samples = 21
            let newDirectories = try (0..<samples).map { try root.makeDirectories("new/\($0)")[0] }
            _ = try await registry.state()
            var adds: [Double] = []
            for directory in newDirectories {
                adds.append(try await time { _ = try await registry.add(path: directory, name: nil, cwd: nil) })
            }
            var switches: [Double] = []
            for index in 0..<samples {
                switches.append(try await time { _ = try await registry.activate("ws-bench-\(index)", cwd: nil) })
            }
            var lists: [Double] = []
            for _ in 0..<samples { lists.append(try await time { _ = try await registry.state() }) }
            var cold: [Double] = []
            for _ in 0..<samples {
                cold.append(
                    try await time {
                        _ = try await Registry(.init(dataDirectory: DataDirectory(path: dataDir), home: nil)).state()
                    })
            }
            let bytes =
                (try? FileManager.default.attributesOfItem(atPath: dataDir + "/openwork-orchestrator-state.json")[.size]
                    as? Int) ?? 0
            print(
                "| \(size) | \(median(adds)) | \(median(switches)) | \(median(lists)) | \(median(cold)) | \(bytes / 1024) KiB |"
            )
        }
    }

    /// Writes a registry of `count` workspaces directly (adding them one by one would measure the setup).
    static func seed(dataDir: String, count: Int) throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let workspaces: [JSONValue] = (0..<count).map { index in
            [
                "id": .string("ws-bench-\(index)"), "name": .string("project-\(index)"),
                "path": .string("/nonexistent/bench/project-\(index)"), "workspaceType": "local",
                "createdAt": .integer(1_738_000_000_000), "lastUsedAt": .integer(1_738_000_000_000),
            ]
        }
        let state: JSONValue = ["version": 1, "activeId": "ws-bench-0", "workspaces": .array(workspaces)]
        try Data(try state.serializedBytes(.pretty)).write(
            to: URL(fileURLWithPath: dataDir + "/openwork-orchestrator-state.json"))
    }

    static func time(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> String {
        let sorted = values.sorted()
        return String(format: "%.2f", sorted[sorted.count / 2])
    }
}
