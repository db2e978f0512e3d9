import OpenWorkJSON
import Testing

@Suite("Parsing")
struct JSONParsingTests {
    @Test(
        "top-level values of every type parse",
        arguments: [
            ("null", JSONValue.null),
            ("true", .bool(true)),
            ("false", .bool(false)),
            ("0", .integer(0)),
            ("-42", .integer(-42)),
            ("1.5", .double(1.5)),
            ("1.0", .double(1.0)),
            ("1e2", .double(100)),
            ("\"hé\"", .string("hé")),
            ("[]", .array([])),
            ("{}", .object([:])),
            (" [1, \"a\", null] ", .array([1, "a", nil])),
            ("{\"a\":{\"b\":[true]}}", JSONValue.object(["a": ["b": [true]]])),
        ]
    )
    func topLevelValues(text: String, expected: JSONValue) throws {
        #expect(try JSONValue(parsing: text) == expected)
    }

    @Test(
        "edge cases fail with a stable kind",
        arguments: [
            ("", JSONError.Kind.emptyInput),
            ("{\"a\":1,\"a\":2}", .duplicateKey),
            ("{\"x\":{\"k\":1,\"k\":1}}", .duplicateKey),
            ("9223372036854775808", .numberOutOfRange),
            ("-9223372036854775809", .numberOutOfRange),
            ("123456789012345678901234567890", .numberOutOfRange),
            ("1e400", .numberOutOfRange),
            ("NaN", .syntax),
            ("Infinity", .syntax),
            ("[1,]", .syntax),
            ("{'a':1}", .syntax),
            ("1 2", .syntax),
            ("[", .syntax),
            ("\"unterminated", .syntax),
            ("\"\\ud800\"", .syntax),
        ]
    )
    func edgeCasesFail(text: String, kind: JSONError.Kind) {
        #expect(throws: JSONError.self) { try JSONValue(parsing: text) }
        do {
            _ = try JSONValue(parsing: text)
        } catch {
            #expect(error.kind == kind, "\(text): \(error)")
        }
    }

    @Test("Int64 bounds are exact")
    func int64Bounds() throws {
        #expect(try JSONValue(parsing: "9223372036854775807") == .integer(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .integer(.min))
    }

    @Test(
        "invalid UTF-8 is rejected",
        arguments: [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]])
    func invalidUTF8(bytes: [UInt8]) {
        do {
            _ = try JSONValue(parsing: bytes)
            Issue.record("parsed invalid UTF-8 \(bytes)")
        } catch {
            #expect(error.kind == .invalidUTF8)
        }
    }

    @Test("NUL inside string values round-trips")
    func nulInStrings() throws {
        let value = try JSONValue(parsing: #"{"key":["a\u0000b","\u0000"]}"#)
        #expect(value == ["key": ["a\u{0}b", "\u{0}"]])
        let text = try value.serialized()
        #expect(text == #"{"key":["a\u0000b","\u0000"]}"#)
        #expect(try JSONValue(parsing: text) == value)
    }

    @Test("NUL inside object keys is rejected both ways")
    func nulInKeys() {
        do {
            _ = try JSONValue(parsing: #"{"k\u0000ey":1}"#)
            Issue.record("parsed a NUL key")
        } catch {
            #expect(error.kind == .nulInKey)
        }
        do {
            _ = try JSONValue.object(["k\u{0}": 1]).serialized()
            Issue.record("encoded a NUL key")
        } catch {
            #expect(error.kind == .nulInKey)
        }
    }

    @Test("nesting up to the limit parses; deeper fails with too_deep, never a crash", arguments: [1, 100, 512])
    func nestingWithinLimit(depth: Int) throws {
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try JSONValue(parsing: text)
        var seen = 0
        while case .array(let inner) = value {
            seen += 1
            value = inner.first ?? .null
        }
        #expect(seen == depth)
    }

    @Test("nesting past the limit fails with too_deep", arguments: [513, 2_000, 3_000, 1_000_000])
    func nestingPastLimit(depth: Int) {
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        do {
            _ = try JSONValue(parsing: text)
            Issue.record("parsed \(depth) levels")
        } catch {
            #expect(error.kind == .tooDeep)
        }
        let objects = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
        #expect(throws: JSONError.self) { try JSONValue(parsing: objects) }
    }

    @Test("errors carry line and column")
    func errorPosition() {
        do {
            _ = try JSONValue(parsing: "{\n  \"a\": tru\n}")
            Issue.record("parsed")
        } catch {
            #expect(error.line == 2)
            #expect(error.column != nil)
            #expect(error.description.contains("line 2"))
        }
    }

    @Test("parsing from bytes, strings and slices agrees")
    func inputForms() throws {
        let text = #"{"a":[1,2.5,"x"]}"#
        let bytes = Array(text.utf8)
        #expect(try JSONValue(parsing: text) == JSONValue(parsing: bytes))
        #expect(try JSONValue(parsing: ("  " + text).utf8.dropFirst(2)) == JSONValue(parsing: bytes))
    }
}
