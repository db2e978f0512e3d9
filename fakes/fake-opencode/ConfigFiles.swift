import Foundation
import OpenWorkJSON

/// Reading and writing the config files an instance sees.
///
/// The merged config is opencode's defaults, then the global config (`PATCH /global/config`), then every
/// `opencode.json` from the worktree down to the directory (inner files win), then `<directory>/config.json` (the
/// file `PATCH /config` writes). JSONC files are not read.
enum ConfigFiles {
    static func defaults(username: String) -> JSONValue {
        [
            "$schema": "https://opencode.ai/config.json",
            "username": .string(username),
            "agent": [:],
            "mode": [:],
            "plugin": [],
            "command": [:],
        ]
    }

    static func load(directory: String, worktree: String, username: String, global: JSONValue = [:])
        throws(InstanceBooter.Failure) -> JSONValue
    {
        var config = deepMerge(defaults(username: username), global)
        let layers = DirectoryResolver.ancestors(of: directory, upTo: worktree).reversed().map { $0 + "/opencode.json" }
        for path in layers + [patchFile(for: directory)] {
            guard let contents = FileManager.default.contents(atPath: path) else { continue }
            do {
                config = deepMerge(config, try JSONValue(parsing: Array(contents)))
            } catch {
                throw InstanceBooter.Failure(
                    name: "ConfigJsonError",
                    data: ["path": .string(path), "message": .string(error.description)]
                )
            }
        }
        return config
    }

    /// Where `PATCH /config` writes: `<directory>/config.json`.
    static func patchFile(for directory: String) -> String {
        (directory == "/" ? "" : directory) + "/config.json"
    }

    /// Merges `patch` into the file's current contents and writes the result back, pretty-printed.
    static func applyPatch(_ patch: JSONValue, directory: String) throws {
        let path = patchFile(for: directory)
        var existing: JSONValue = [:]
        if let contents = FileManager.default.contents(atPath: path),
            let parsed = try? JSONValue(parsing: Array(contents))
        {
            existing = parsed
        }
        let merged = deepMerge(existing, patch)
        let text = try merged.serialized(.pretty) + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// `patch` merged into `base`: objects member by member, recursively; anything else replaced.
    static func deepMerge(_ base: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(var members) = base, case .object(let additions) = patch else { return patch }
        for (key, value) in additions {
            members[key] = members[key].map { deepMerge($0, value) } ?? value
        }
        return .object(members)
    }
}
