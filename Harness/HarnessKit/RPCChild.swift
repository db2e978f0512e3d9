import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Synchronization

/// One `openwork rpc` child and everything it said: answers by id, other answers, event notifications, and a
/// transcript of both directions.
///
/// A reader task files every stdout line as it arrives, so a scenario can send one call and wait for its
/// answer while events keep arriving. It does not interpret results; the runner does.
final class RPCChild: Sendable {
    struct Inbox {
        var answers: [String: JSONValue] = [:]
        /// Answers that no harness call is waiting for (to lines sent with `send`), in arrival order.
        var responses: [JSONValue] = []
        /// Event notifications not yet consumed by `await event`, in arrival order.
        var events: [JSONValue] = []
        var transcript: [String] = []
        var closed = false
        /// Every opencode pid the engine mentioned, so the runner can check none survives.
        var opencodeProcesses: Set<ProcessTable.Instance> = []
    }

    let process: TestProcess
    private let inbox = Mutex(Inbox())
    private let nextID = Mutex(1)
    private let reader = Mutex<Task<Void, Never>?>(nil)

    init(process: TestProcess) {
        self.process = process
        let task = Task { [self] in await self.read() }
        reader.withLock { $0 = task }
    }

    private func read() async {
        while !Task.isCancelled {
            do {
                guard let line = try await process.readLine(within: .milliseconds(250)) else { break }
                file(line)
            } catch {
                continue
            }
        }
        inbox.withLock { $0.closed = true }
    }

    private func file(_ line: String) {
        inbox.withLock { inbox in
            inbox.transcript.append("<- " + line)
            guard let message = try? JSONValue(parsing: line) else { return }
            if message["method"] == "event", let params = message["params"] {
                inbox.events.append(params)
                if params["type"]?.stringValue?.hasPrefix("opencode.") == true,
                    let pid = params["pid"]?.int64Value.flatMap({ Int32(exactly: $0) })
                {
                    if let instance = ProcessTable.instance(pid) { inbox.opencodeProcesses.insert(instance) }
                }
            } else if let id = message["id"]?.stringValue, id.hasPrefix("harness-") {
                inbox.answers[id] = message
            } else {
                inbox.responses.append(message)
            }
            if let pid = message["result"]?["pid"]?.int64Value ?? message["result"]?["opencode"]?["pid"]?.int64Value,
                let pid = Int32(exactly: pid), pid != process.pid
            {
                if let instance = ProcessTable.instance(pid) { inbox.opencodeProcesses.insert(instance) }
            }
        }
    }

    /// Stops the reader (after the process is gone, or when giving up on it).
    func finish() async {
        let task = reader.withLock { $0 }
        task?.cancel()
        await task?.value
    }

    func note(_ text: String) { inbox.withLock { $0.transcript.append(text) } }

    var transcript: [String] { inbox.withLock { $0.transcript } }
    var opencodeProcesses: Set<ProcessTable.Instance> { inbox.withLock { $0.opencodeProcesses } }

    /// Sends a line as is.
    func send(_ line: String) async throws {
        note("-> " + line)
        try await process.writeLine(line)
    }

    /// Sends a request and waits for its answer.
    ///
    /// - Throws: ``TestProcess/Timeout`` when no answer arrives within `deadline`.
    func call(_ method: String, _ params: JSONValue?, within deadline: Duration) async throws -> JSONValue {
        let id = nextID.withLock { next in
            defer { next += 1 }
            return "harness-\(next)"
        }
        var request: JSONValue = ["jsonrpc": "2.0", "id": .string(id), "method": .string(method)]
        if let params { request["params"] = params }
        try await send(try request.serialized())
        let answer = await wait(within: deadline) { inbox in inbox.answers.removeValue(forKey: id) }
        guard let answer else {
            let closed = inbox.withLock { $0.closed }
            throw TestProcess.Timeout(
                description: closed
                    ? "openwork rpc closed its output before answering \(method)"
                    : "no answer to \(method) within \(deadline)")
        }
        return answer
    }

    /// Polls the inbox every 5 ms until `take` returns a value or `deadline` passes.
    func wait<T: Sendable>(within deadline: Duration, _ take: @Sendable (inout Inbox) -> T?) async -> T? {
        let end = ContinuousClock.now + deadline
        while true {
            if let value = inbox.withLock({ take(&$0) }) { return value }
            if ContinuousClock.now >= end || inbox.withLock({ $0.closed }) {
                return inbox.withLock { take(&$0) }
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Looks at the inbox without waiting.
    func peek<T>(_ body: (inout Inbox) -> T) -> T where T: Sendable { inbox.withLock { body(&$0) } }
}
