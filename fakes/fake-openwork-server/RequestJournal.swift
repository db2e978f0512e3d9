import OpenWorkJSON
import Synchronization

/// Every request the fake answered outside `/__fake`, in arrival order, as `{method, path}` (no query string,
/// no headers: nothing secret), for `/__fake/state`.
final class RequestJournal: Sendable {
    private let entries = Mutex<[JSONValue]>([])

    func record(method: String, path: String) {
        entries.withLock { $0.append(["method": .string(method), "path": .string(path)]) }
    }

    var all: [JSONValue] { entries.withLock { $0 } }
}
