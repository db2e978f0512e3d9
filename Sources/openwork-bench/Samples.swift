import Foundation

/// Latencies of one measure, in milliseconds, and what the report prints from them.
///
/// Percentiles use the nearest-rank method on the sorted samples, so p99 of 100 samples is the 99th smallest.
/// It does not time anything itself; ``Samples/time(_:)`` and the benchmarks feed it.
struct Samples: Sendable {
    private(set) var values: [Double] = []

    init(_ values: [Double] = []) { self.values = values }

    var count: Int { values.count }

    mutating func append(_ milliseconds: Double) { values.append(milliseconds) }

    mutating func append(_ duration: Duration) { values.append(Self.milliseconds(duration)) }

    /// The nearest-rank percentile (0 < `percentile` ≤ 100); 0 when there are no samples.
    func percentile(_ percentile: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((percentile / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }

    var p50: Double { percentile(50) }
    var p95: Double { percentile(95) }
    var p99: Double { percentile(99) }

    /// Runs `body` once and records how long it took.
    mutating func time<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        let result = try await body()
        append(ContinuousClock.now - start)
        return result
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
    }

    static func seconds(_ duration: Duration) -> Double { milliseconds(duration) / 1_000 }
}

/// How numbers are written in BENCHMARKS.md.
enum Figure {
    /// Milliseconds with about three significant digits.
    static func ms(_ value: Double) -> String {
        switch value {
        case 100...: String(format: "%.0f", value)
        case 10..<100: String(format: "%.1f", value)
        case 1..<10: String(format: "%.2f", value)
        default: String(format: "%.3f", value)
        }
    }

    /// Microseconds from milliseconds, for sub-millisecond work.
    static func us(_ milliseconds: Double) -> String {
        let value = milliseconds * 1_000
        return value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }

    /// A whole number with thousands separators.
    static func count(_ value: Double) -> String {
        let number = NumberFormatter()
        number.numberStyle = .decimal
        number.maximumFractionDigits = 0
        return number.string(from: NSNumber(value: value.rounded())) ?? "\(Int(value))"
    }

    /// `ours / baseline` as `2.40×`.
    static func ratio(_ ours: Double, _ baseline: Double) -> String {
        guard baseline > 0 else { return "—" }
        let value = ours / baseline
        return value >= 100 ? String(format: "%.0f×", value) : String(format: "%.2f×", value)
    }

    static func mebibytes(kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }
}
