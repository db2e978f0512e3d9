import OpenWorkJSON
import Synchronization

/// The global config of `GET|PATCH /global/config`, merged under every instance's config at boot.
///
/// Kept in memory: opencode writes it to `~/.config/opencode/`, but a fake that tests run must never touch the
/// user's real config. A PATCH deep-merges (as `PATCH /config` does) and disposes every instance, so the next
/// request boots with it.
final class GlobalConfig: Sendable {
    private let value = Mutex<JSONValue>([:])

    var current: JSONValue { value.withLock { $0 } }

    /// Merges `patch` in and returns the result.
    func merge(_ patch: JSONValue) -> JSONValue {
        value.withLock { value in
            value = ConfigFiles.deepMerge(value, patch)
            return value
        }
    }
}
