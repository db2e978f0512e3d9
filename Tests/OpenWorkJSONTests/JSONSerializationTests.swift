import OpenWorkJSON
import Testing

@Suite("Serialization")
struct JSONSerializationTests {
    @Test(
        "scalars serialize as JSON",
        arguments: [
            (JSONValue.null, "null"),
            (.bool(true), "true"),
            (.integer(-7), "-7"),
            (.integer(.max), "9223372036854775807"),
            (.double(0.1), "0.1"),
            (.double(1), "1.0"),
            (.double(-2.5), "-2.5"),
            (.double(1e300), "1e300"),
            (.double(123_456_789.123), "123456789.123"),
            (.string("a\"b\\c/\n\t\u{1}é😀"), #""a\"b\\c/\n\t\u0001é😀""#),
        ]
    )
    func scalars(value: JSONValue, text: String) throws {
        #expect(try value.serialized() == text)
        #expect(try JSONValue(parsing: text) == value)
    }

    @Test("compact output never holds a raw newline")
    func compactIsOneLine() throws {
        let value: JSONValue = ["text": "line1\nline2\r\n", "list": [1, ["nested": "\u{2028}"]]]
        let text = try value.serialized(.compact)
        #expect(!text.contains("\n"))
        #expect(!text.contains("\r"))
        #expect(try JSONValue(parsing: text) == value)
    }

    @Test("canonical output sorts keys at every level and is stable")
    func canonical() throws {
        let value: JSONValue = ["b": 1, "a": ["d": true, "c": nil], "c": [["z": 1, "y": 2]]]
        let text = try value.serialized(.canonical)
        #expect(text == #"{"a":{"c":null,"d":true},"b":1,"c":[{"y":2,"z":1}]}"#)
        let reparsed = try JSONValue(parsing: text)
        #expect(try reparsed.serialized(.canonical) == text)
    }

    @Test("pretty output indents by two and sorts keys")
    func pretty() throws {
        let value: JSONValue = ["b": [1, 2], "a": "x"]
        #expect(try value.serialized(.pretty) == "{\n  \"a\": \"x\",\n  \"b\": [\n    1,\n    2\n  ]\n}")
    }

    @Test("NaN and infinity cannot be encoded", arguments: [Double.nan, .infinity, -.infinity])
    func nonFinite(number: Double) {
        for value in [JSONValue.double(number), ["deep": [.double(number)]]] {
            do {
                _ = try value.serialized()
                Issue.record("encoded \(number)")
            } catch {
                #expect(error.kind == .notEncodable)
            }
        }
    }

    @Test("values deeper than the limit cannot be encoded")
    func tooDeepToEncode() {
        var value = JSONValue.null
        for _ in 0..<(JSONValue.maximumDepth + 1) { value = [value] }
        do {
            _ = try value.serialized()
            Issue.record("encoded")
        } catch {
            #expect(error.kind == .tooDeep)
        }
    }

    @Test("reals keep just the digits they need, and stay reals")
    func realPrecision() throws {
        let value = JSONValue.array(
            [0.1, 0.2, 1.0 / 3.0, 100.0, Double.leastNonzeroMagnitude, 1.7976931348623157e308].map(JSONValue.double))
        let text = try value.serialized()
        let reparsed = try JSONValue(parsing: text)
        #expect(reparsed == value)
        #expect(text.hasPrefix("[0.10000000000000001") || text.hasPrefix("[0.1"))
        for element in reparsed.arrayValue ?? [] {
            guard case .double = element else {
                Issue.record("\(element) became an integer")
                continue
            }
        }
    }
}
