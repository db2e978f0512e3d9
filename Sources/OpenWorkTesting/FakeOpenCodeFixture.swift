import Foundation
public import OpenWorkJSON
import OpenWorkSystem

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Helpers for driving `fake-opencode`: where it is, its introspection, and process checks.
public enum FakeOpenCode {
    public static var path: String { BuiltProducts.path(of: "fake-opencode") }

    /// `GET /__fake/state` of a fake started with `FAKE_OPENCODE_INTROSPECTION=1` (no auth needed).
    public static func state(baseURL: String) async throws -> JSONValue {
        guard let url = URL(string: baseURL + "/__fake/state") else { throw URLError(.badURL) }
        let (data, _) = try await URLSession.shared.data(from: url)
        return try JSONValue(parsing: Array(data))
    }

    /// Whether `pid` is gone (or a zombie, i.e. exited and waiting to be reaped).
    public static func isGone(_ pid: Int32) -> Bool { ProcessIdentity.isGone(pid) }

    /// Polls `condition` every 10 ms until it holds or `deadline` passes; returns whether it held.
    public static func eventually(within deadline: Duration = .seconds(60), _ condition: () async throws -> Bool)
        async rethrows -> Bool
    {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    /// A script that runs the fake, except that `serve` exits 3 while the file `flag` exists: a crash loop
    /// that can be repaired by deleting the flag.
    public static func breakableWrapper(in directory: String, flag: String) throws -> String {
        let script = directory + "/breakable-opencode"
        let text = """
            #!/bin/sh
            if [ "$1" = serve ] && [ -e '\(flag)' ]; then echo "broken on purpose" >&2; exit 3; fi
            exec '\(path)' "$@"
            """
        try text.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        return script
    }
}
