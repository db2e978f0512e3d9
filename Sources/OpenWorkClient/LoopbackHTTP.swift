import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One HTTP/1.1 exchange with a loopback server over a plain socket: connect, send, read to the end, close.
///
/// The CLI's one-shot calls go through here instead of AsyncHTTPClient: a command that sends one request
/// should not start an event-loop group and a connection pool first (that was most of a CLI call's wall time,
/// see BENCHMARKS.md). It writes every header itself, so it can also send what a client library would not (a
/// foreign `Host`, for the harness). Every step has the one deadline; the blocking work runs on a Dispatch
/// thread, never on the cooperative pool (an in-process server may need those threads to answer).
public enum LoopbackHTTP {
    public struct Response: Sendable {
        public var status: Int
        /// Header names in lower case, in order.
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            let wanted = name.lowercased()
            return headers.first { $0.name == wanted }?.value
        }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// Whether any of the request may have reached the server (false: it failed before or while connecting,
        /// so sending it again cannot run it twice).
        public var mayHaveArrived = true
    }

    /// The largest response accepted.
    public static let maximumResponseBytes = 64 << 20

    /// Sends `method target` to `baseURL` (`http://127.0.0.1:PORT`, `http://[::1]:PORT`, `http://localhost:PORT`)
    /// and returns the whole response. `Host` defaults to the URL's authority; `headers` may replace it.
    public static func exchange(
        _ baseURL: String, method: String, target: String, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Duration
    ) async throws(Failure) -> Response {
        let result: Result<Response, Failure> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: Result {
                        () throws(Failure) -> Response in
                        try blockingExchange(
                            baseURL, method: method, target: target, headers: headers, body: body, timeout: timeout)
                    })
            }
        }
        return try result.get()
    }

    /// `http://HOST:PORT` → host (brackets removed) and port.
    static func endpoint(_ baseURL: String) throws(Failure) -> (host: String, port: Int, authority: String) {
        guard baseURL.hasPrefix("http://") else { throw Failure(description: "not an http:// URL: \(baseURL)") }
        var authority = String(baseURL.dropFirst("http://".count))
        if let slash = authority.firstIndex(of: "/") { authority = String(authority[..<slash]) }
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]),
            (1...65_535).contains(port)
        else { throw Failure(description: "no port in \(baseURL)") }
        var host = String(authority[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port, authority)
    }

    static func blockingExchange(
        _ baseURL: String, method: String, target: String, headers: [(String, String)], body: [UInt8],
        timeout: Duration
    ) throws(Failure) -> Response {
        let deadline = ContinuousClock.now + timeout
        let (host, port, authority) = try endpoint(baseURL)
        let descriptor = try connect(host: host, port: port, deadline: deadline)
        defer { close(descriptor) }
        var head = "\(method) \(target) HTTP/1.1\r\n"
        let names = Set(headers.map { $0.0.lowercased() })
        if !names.contains("host") { head += "Host: \(authority)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try send(descriptor, Array(head.utf8) + body, deadline: deadline)
        return try receive(descriptor, deadline: deadline, method: method)
    }

    private static func remainingMilliseconds(_ deadline: ContinuousClock.Instant) throws(Failure) -> Int32 {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw Failure(description: "timed out") }
        let milliseconds =
            remaining.components.seconds * 1_000 + remaining.components.attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(1, milliseconds))
    }

    private static func wait(_ descriptor: Int32, for events: Int16, deadline: ContinuousClock.Instant) throws(Failure)
    {
        while true {
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, try remainingMilliseconds(deadline))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else {
                throw Failure(description: ready == 0 ? "timed out" : "poll failed: errno \(errno)")
            }
            return
        }
    }

    private static func connect(host: String, port: Int, deadline: ContinuousClock.Instant) throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host)", mayHaveArrived: false)
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address for \(host)"
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let info = current {
            current = info.pointee.ai_next
            let descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { continue }
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            if Glibc.connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return descriptor }
            if errno == EINPROGRESS {
                do {
                    try wait(descriptor, for: Int16(POLLOUT), deadline: deadline)
                } catch {
                    close(descriptor)
                    throw Failure(description: "connect to \(host):\(port): \(error)", mayHaveArrived: false)
                }
                var failure: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
                if failure == 0 { return descriptor }
                lastError = String(cString: strerror(failure))
            } else {
                lastError = String(cString: strerror(errno))
            }
            close(descriptor)
        }
        throw Failure(description: "connect to \(host):\(port): \(lastError)", mayHaveArrived: false)
    }

    private static func send(_ descriptor: Int32, _ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
            } else if sent < 0, errno == EAGAIN || errno == EINTR {
                try wait(descriptor, for: Int16(POLLOUT), deadline: deadline)
            } else {
                throw Failure(description: "send failed: errno \(errno)")
            }
        }
    }

    private static func receive(_ descriptor: Int32, deadline: ContinuousClock.Instant, method: String) throws(Failure)
        -> Response
    {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var parsed: (response: Response, bodyStart: Int, length: Int?, chunked: Bool)?
        while true {
            if let parsed, let decoded = try body(of: received, parsed) {
                var response = parsed.response
                response.body = decoded
                return response
            }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EAGAIN || errno == EINTR {
                try wait(descriptor, for: Int16(POLLIN), deadline: deadline)
                continue
            }
            guard count >= 0 else { throw Failure(description: "receive failed: errno \(errno)") }
            if count == 0 {
                guard var parsed else {
                    throw Failure(description: "the server closed the connection without a response")
                }
                guard parsed.length == nil, !parsed.chunked else {
                    throw Failure(description: "the server closed the connection before the body was complete")
                }
                parsed.response.body = Array(received[parsed.bodyStart...])
                return parsed.response
            }
            received += chunk[..<count]
            guard received.count <= maximumResponseBytes else { throw Failure(description: "response too large") }
            if parsed == nil, let head = try self.head(received, method: method) { parsed = head }
        }
    }

    /// Parses the status line and headers once they are complete.
    private static func head(_ bytes: [UInt8], method: String) throws(Failure)
        -> (response: Response, bodyStart: Int, length: Int?, chunked: Bool)?
    {
        guard let end = bytes.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let lines = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusWords = lines.first?.split(separator: " ") ?? []
        guard statusWords.count >= 2, statusWords[0].hasPrefix("HTTP/1."), let status = Int(statusWords[1]) else {
            throw Failure(description: "bad status line: \(lines.first ?? "")")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let response = Response(status: status, headers: headers, body: [])
        let noBody = method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status)
        let chunked = response.header("transfer-encoding")?.lowercased().contains("chunked") == true
        let length = noBody ? 0 : chunked ? nil : response.header("content-length").flatMap { Int($0) }
        return (response, end.upperBound, length, chunked && !noBody)
    }

    /// The whole body once it has arrived (`nil` while more is needed).
    private static func body(
        of bytes: [UInt8], _ parsed: (response: Response, bodyStart: Int, length: Int?, chunked: Bool)
    ) throws(Failure) -> [UInt8]? {
        if let length = parsed.length {
            guard bytes.count - parsed.bodyStart >= length else { return nil }
            return Array(bytes[parsed.bodyStart..<parsed.bodyStart + length])
        }
        guard parsed.chunked else { return nil }
        var body: [UInt8] = []
        var index = parsed.bodyStart
        while true {
            guard let lineEnd = bytes[index...].firstRange(of: [13, 10]) else { return nil }
            let sizeText =
                String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
                .split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw Failure(description: "bad chunk size \"\(sizeText)\"")
            }
            let start = lineEnd.upperBound
            if size == 0 { return body }
            guard bytes.count >= start + size + 2 else { return nil }
            body += bytes[start..<start + size]
            index = start + size + 2
        }
    }
}
