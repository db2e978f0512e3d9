import Synchronization

/// opencode's identifiers: `<prefix>_<12 hex><14 base62>`.
///
/// The 12 hex digits encode `milliseconds * 0x1000 + counter` in 6 bytes, bit-inverted for descending ids
/// (sessions, so that the newest sorts first); the 14 base62 characters are random. One generator serves every
/// prefix, so ids of one kind created in one millisecond still sort in creation order.
final class IdentifierGenerator: Sendable {
    enum Prefix: String, Sendable {
        case session = "ses"
        case permission = "per"
        case question = "que"
        case message = "msg"
        case part = "prt"
        case event = "evt"
    }

    private struct State {
        var lastMilliseconds: Int64 = 0
        var counter: Int64 = 0
    }

    private let state = Mutex(State())

    func ascending(_ prefix: Prefix, at milliseconds: Int64) -> String {
        make(prefix, descending: false, at: milliseconds)
    }

    func descending(_ prefix: Prefix, at milliseconds: Int64) -> String {
        make(prefix, descending: true, at: milliseconds)
    }

    private func make(_ prefix: Prefix, descending: Bool, at milliseconds: Int64) -> String {
        let counter = state.withLock { state in
            if state.lastMilliseconds != milliseconds {
                state.lastMilliseconds = milliseconds
                state.counter = 0
            }
            state.counter += 1
            return state.counter
        }
        return Self.format(prefix, descending: descending, milliseconds: milliseconds, counter: counter)
            + Self.randomBase62(count: 14)
    }

    /// The prefix and the 12 hex digits: the deterministic part of an identifier.
    static func format(_ prefix: Prefix, descending: Bool, milliseconds: Int64, counter: Int64) -> String {
        var value = UInt64(bitPattern: milliseconds) &* 0x1000 &+ UInt64(bitPattern: counter)
        if descending { value = ~value }
        var hex = ""
        for shift in stride(from: 40, through: 0, by: -8) {
            let byte = UInt8(truncatingIfNeeded: value >> UInt64(shift))
            hex += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }
        return prefix.rawValue + "_" + hex
    }

    static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    static func randomBase62(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in base62[Int(generator.next(upperBound: UInt64(base62.count)))] })
    }

    /// Whether `text` has the shape of an identifier with `prefix`.
    static func isWellFormed(_ text: String, prefix: Prefix) -> Bool {
        let head = prefix.rawValue + "_"
        guard text.hasPrefix(head) else { return false }
        let rest = Array(text.dropFirst(head.count))
        guard rest.count == 26 else { return false }
        return rest[..<12].allSatisfy(\.isHexDigit) && rest[12...].allSatisfy { base62.contains($0) }
    }
}
