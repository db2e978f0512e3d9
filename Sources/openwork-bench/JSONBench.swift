import CJansson
import OpenWorkJSON

/// Parse + serialize through `JSONValue` against jansson alone (load, compact dump, free) on the same bytes.
///
/// Both run in alternating rounds so that a noisy neighbour slows both alike.
enum JSONBench {
    static func run(quick: Bool) throws {
        print("## JSON parse + serialize (`JSONValue` vs raw jansson, same bytes, alternating rounds)\n")
        print(
            "| document | JSONValue ops/s | p50 µs | p99 µs | raw jansson ops/s | p50 µs | p99 µs | cost ratio (p50) |")
        print("|---|---|---|---|---|---|---|---|")
        for (name, document, iterations) in [
            ("~1 KB", Documents.small, quick ? 2_000 : 20_000), ("~1 MB", Documents.large, quick ? 10 : 40),
        ] {
            let bytes = Array(document.utf8)
            let rounds = 10
            var ours = Samples()
            var raw = Samples()
            var oursTotal = 0.0
            var rawTotal = 0.0
            for _ in 0..<max(1, iterations / 10) {
                _ = try? JSONValue(parsing: bytes).serializedBytes()
                try? RawJansson.roundTrip(bytes)
            }
            for _ in 0..<rounds {
                oursTotal += try timed(iterations / rounds, into: &ours) {
                    _ = try JSONValue(parsing: bytes).serializedBytes()
                }
                rawTotal += try timed(iterations / rounds, into: &raw) { try RawJansson.roundTrip(bytes) }
            }
            let oursRate = Double(ours.count) / (oursTotal / 1_000)
            let rawRate = Double(raw.count) / (rawTotal / 1_000)
            print(
                "| \(name) (\(Figure.count(Double(bytes.count))) B) | \(Figure.count(oursRate)) | \(Figure.us(ours.p50)) | \(Figure.us(ours.p99)) | \(Figure.count(rawRate)) | \(Figure.us(raw.p50)) | \(Figure.us(raw.p99)) | \(Figure.ratio(ours.p50, raw.p50)) |"
            )
        }
        print(
            "\nCost ratio = JSONValue's p50 time ÷ raw jansson's p50 time (1.00× = no overhead over the C library)."
        )
    }

    /// Runs `body` `iterations` times, recording each call; returns the total in milliseconds.
    static func timed(_ iterations: Int, into samples: inout Samples, _ body: () throws -> Void) rethrows -> Double {
        var total = 0.0
        for _ in 0..<max(1, iterations) {
            let start = ContinuousClock.now
            try body()
            let elapsed = Samples.milliseconds(ContinuousClock.now - start)
            samples.append(elapsed)
            total += elapsed
        }
        return total
    }
}

/// The same round trip with jansson alone: load, dump, free.
enum RawJansson {
    struct Failed: Error {}

    static func roundTrip(_ bytes: [UInt8]) throws {
        var error = json_error_t()
        let root = bytes.withUnsafeBytes { buffer in
            json_loadb(
                buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count,
                Int(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL), &error)
        }
        guard let root else { throw Failed() }
        defer { cjansson_decref(root) }
        let size = json_dumpb(root, nil, 0, Int(JSON_COMPACT | JSON_ENCODE_ANY))
        var output = [CChar](repeating: 0, count: size)
        _ = json_dumpb(root, &output, size, Int(JSON_COMPACT | JSON_ENCODE_ANY))
    }
}
