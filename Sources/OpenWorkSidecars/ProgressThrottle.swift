import AsyncHTTPClient
import Foundation
public import OpenWorkJSON
public import OpenWorkSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Forwards download progress as `sidecar.progress` events: the first, then at most one per 200 ms, then the last.
final class ProgressThrottle: Sendable {
    private let name: String
    private let url: String
    private let sink: SidecarResolver.EventSink
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    init(name: String, url: String, sink: @escaping SidecarResolver.EventSink) {
        self.name = name
        self.url = url
        self.sink = sink
    }

    func report(_ progress: SidecarDownloader.Progress) {
        let now = ContinuousClock.now
        let due = last.withLock { last -> Bool in
            let done = progress.received == progress.total
            guard done || last.map({ now - $0 >= .milliseconds(200) }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        sink(
            "sidecar.progress",
            [
                "name": .string(name), "url": .string(url), "received": .integer(progress.received),
                "total": .integer(progress.total),
            ])
    }
}
