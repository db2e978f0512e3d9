import Foundation

/// Milliseconds since the Unix epoch, injectable so pure code never reads the real clock itself.
struct WallClock: Sendable {
    var milliseconds: @Sendable () -> Int64

    static let system = WallClock { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// `milliseconds` as JavaScript's `Date.prototype.toISOString` prints it: `2026-11-21T05:40:00.123Z`.
    static func isoString(_ milliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
