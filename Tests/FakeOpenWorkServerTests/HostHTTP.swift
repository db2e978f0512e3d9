import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkJSON
import Synchronization

/// A whole answer: status, headers, body.
struct Answer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var bytes: [UInt8]

    var json: JSONValue { (try? JSONValue(parsing: bytes)) ?? .null }
    var text: String { String(decoding: bytes, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// One request per connection (`connection: close`), 30 s deadline for the head.
enum HostHTTP {
    static func send(
        _ method: HTTPMethod = .GET, _ url: String, headers: [String: String] = [:], json: JSONValue? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "connection", value: "close")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try json.serializedBytes()))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, bytes: Array(buffer: body))
    }

    static func bearer(_ token: String) -> [String: String] { ["Authorization": "Bearer \(token)"] }

    static func basic(_ user: String, _ password: String) -> [String: String] {
        ["Authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }
}

/// A Server-Sent Events stream read in the background; frames' `data:` parsed as JSON.
final class EventStream: Sendable {
    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    private struct Frames {
        var items: [JSONValue] = []
        var pending = ""
        var ended = false
    }

    let contentType: String
    private let frames = Mutex(Frames())
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    private init(contentType: String) { self.contentType = contentType }

    /// Opens `url`; throws unless the answer is 200.
    static func open(_ url: String, headers: [String: String]) async throws -> EventStream {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "connection", value: "close")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        guard response.status == .ok else { throw Timeout(description: "GET \(url): \(response.status)") }
        let stream = EventStream(contentType: response.headers.first(name: "content-type") ?? "")
        let reader = Task {
            do {
                for try await chunk in response.body { stream.receive(String(buffer: chunk)) }
            } catch {}
            stream.frames.withLock { $0.ended = true }
        }
        stream.task.withLock { $0 = reader }
        return stream
    }

    private func receive(_ text: String) {
        frames.withLock { frames in
            frames.pending += text.replacingOccurrences(of: "\r\n", with: "\n")
            while let end = frames.pending.range(of: "\n\n") {
                let block = frames.pending[..<end.lowerBound]
                frames.pending.removeSubrange(..<end.upperBound)
                let data = block.split(separator: "\n").filter { $0.hasPrefix("data:") }
                    .map { $0.dropFirst(5).drop { $0 == " " } }.joined(separator: "\n")
                if let json = try? JSONValue(parsing: data) { frames.items.append(json) }
            }
        }
    }

    /// The next frame whose JSON satisfies `matches` (earlier ones are dropped).
    func next(within deadline: Duration = .seconds(30), where matches: (JSONValue) -> Bool = { _ in true })
        async throws -> JSONValue
    {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            let (frame, ended) = frames.withLock { frames -> (JSONValue?, Bool) in
                while !frames.items.isEmpty {
                    let frame = frames.items.removeFirst()
                    if matches(frame) { return (frame, false) }
                }
                return (nil, frames.ended)
            }
            if let frame { return frame }
            if ended { throw Timeout(description: "the stream ended") }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw Timeout(description: "no matching event within \(deadline)")
    }

    /// Disconnects.
    func close() { task.withLock { $0?.cancel() } }

    deinit { close() }
}
