import Foundation
import OpenWorkJSON
import Testing

/// Random documents survive serialize → parse in every format.
@Suite("Randomized round trips")
struct JSONRoundTripTests {
    @Test("random documents round-trip in every format", arguments: 0..<20)
    func randomDocuments(seed: Int) throws {
        var generator = SplitMix64(seed: UInt64(seed))
        for _ in 0..<25 {
            let value = Self.randomValue(depth: 0, using: &generator)
            for format in [JSONFormat.compact, .canonical, .pretty] {
                let bytes = try value.serializedBytes(format)
                #expect(try JSONValue(parsing: bytes) == value, "format \(format)")
            }
            #expect(try !value.serialized(.compact).contains("\n"))
        }
    }

    static func randomValue(depth: Int, using generator: inout SplitMix64) -> JSONValue {
        let choice = Int.random(in: 0..<(depth > 4 ? 6 : 8), using: &generator)
        switch choice {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .integer(Int64.random(in: .min ... .max, using: &generator))
        case 3:
            let bits = UInt64.random(in: 0 ... .max, using: &generator)
            let double = Double(bitPattern: bits)
            return .double(double.isFinite ? double : Double.random(in: -1e6...1e6, using: &generator))
        case 4, 5: return .string(randomString(using: &generator))
        case 6:
            return .array(
                (0..<Int.random(in: 0..<5, using: &generator)).map { _ in
                    randomValue(depth: depth + 1, using: &generator)
                })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0..<5, using: &generator) {
                members[randomString(using: &generator).replacingOccurrences(of: "\u{0}", with: "0")] = randomValue(
                    depth: depth + 1, using: &generator)
            }
            return .object(members)
        }
    }

    static func randomString(using generator: inout SplitMix64) -> String {
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "é", "\u{2028}", "😀", "中",
        ]
        let count = Int.random(in: 0..<12, using: &generator)
        return String(
            String.UnicodeScalarView((0..<count).map { _ in pool[Int.random(in: 0..<pool.count, using: &generator)] }))
    }
}

/// A small seeded generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
