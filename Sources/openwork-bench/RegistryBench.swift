import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

/// Registry operations at growing sizes, each including its durable write, beside the floor any durable
/// mutation of a file that size pays: writing the same bytes to a temp file, fsync, rename, fsync of the directory.
enum RegistryBench {
    struct Row {
        var size: Int
        var add = Samples()
        var activate = Samples()
        var cached = Samples()
        var cold = Samples()
        var raw = Samples()
        var bytes = 0
    }

    static func run(quick: Bool) async throws {
        print("\n## Registry (ms per operation, durable write included)\n")
        print(
            "| workspaces | add p50 | add p99 | switch p50 | switch p99 | list (cached) p50 | list (cold read) p50 | **baseline**: raw durable write p50 | add ÷ raw write | state file |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        let sizes = quick ? [100, 1_000] : [100, 1_000, 10_000]
        var rows: [Row] = []
        for size in sizes {
            let row = try await measure(size: size, samples: size >= 10_000 ? 21 : 51)
            rows.append(row)
            print(
                "| \(Figure.count(Double(size))) | \(Figure.ms(row.add.p50)) | \(Figure.ms(row.add.p99)) | \(Figure.ms(row.activate.p50)) | \(Figure.ms(row.activate.p99)) | \(Figure.ms(row.cached.p50)) | \(Figure.ms(row.cold.p50)) | \(Figure.ms(row.raw.p50)) | \(Figure.ratio(row.add.p50, row.raw.p50)) | \(row.bytes / 1024) KiB |"
            )
        }
        guard let first = rows.first, let last = rows.last, rows.count > 1 else { return }
        let growth = Double(last.size) / Double(first.size)
        print(
            """

            Growth from \(Figure.count(Double(first.size))) to \(Figure.count(Double(last.size))) workspaces \
            (\(Figure.ratio(growth, 1)) the entries, \(Figure.ratio(Double(last.bytes), Double(first.bytes))) the \
            bytes): add \(Figure.ratio(last.add.p50, first.add.p50)), switch \
            \(Figure.ratio(last.activate.p50, first.activate.p50)), cold list \
            \(Figure.ratio(last.cold.p50, first.cold.p50)), raw durable write \
            \(Figure.ratio(last.raw.p50, first.raw.p50)) (p50 against p50). Every mutation rewrites and fsyncs \
            the whole file, so costs grow at most linearly with the entries; while the fsync dominates (small files) \
            they grow more slowly than that.
            """)
    }

    static func measure(size: Int, samples: Int) async throws -> Row {
        var row = Row(size: size)
        let root = try TemporaryDirectory("registry-bench")
        let dataDir = root.appending("data")
        try seed(dataDir: dataDir, count: size)
        let registry = try Registry(.init(dataDirectory: DataDirectory(path: dataDir), home: nil))
        let newDirectories = try (0..<samples).map { try root.makeDirectories("new/\($0)")[0] }
        _ = try await registry.state()
        for directory in newDirectories {
            try await row.add.time { _ = try await registry.add(path: directory, name: nil, cwd: nil) }
        }
        for index in 0..<samples {
            try await row.activate.time { _ = try await registry.activate("ws-bench-\(index)", cwd: nil) }
        }
        for _ in 0..<samples { try await row.cached.time { _ = try await registry.state() } }
        for _ in 0..<samples {
            try await row.cold.time {
                _ = try await Registry(.init(dataDirectory: DataDirectory(path: dataDir), home: nil)).state()
            }
        }
        let statePath = dataDir + "/openwork-orchestrator-state.json"
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: statePath)))
        row.bytes = bytes.count
        for _ in 0..<samples {
            try await row.raw.time { try durableWrite(bytes, directory: root.path, name: "baseline.json") }
        }
        return row
    }

    /// The floor: temp file, write, fsync, rename, fsync of the directory.
    static func durableWrite(_ bytes: [UInt8], directory: String, name: String) throws {
        let temporary = directory + "/." + name + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BenchError("open \(temporary): errno \(errno)") }
        var offset = 0
        let written = bytes.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            while offset < buffer.count {
                let count = write(fd, base + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return false }
                offset += count
            }
            return true
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard written, synced, rename(temporary, directory + "/" + name) == 0 else {
            throw BenchError("durable write in \(directory) failed: errno \(errno)")
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw BenchError("open \(directory): errno \(errno)") }
        defer { close(directoryFD) }
        guard fsync(directoryFD) == 0 else { throw BenchError("fsync \(directory): errno \(errno)") }
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
}
