import OpenWorkJSON
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test("literals build the matching cases")
    func literals() {
        let value: JSONValue = ["n": nil, "b": true, "i": 3, "d": 2.5, "s": "x", "a": [1, "two"], "o": ["k": false]]
        #expect(value["n"] == .null)
        #expect(value["b"] == .bool(true))
        #expect(value["i"] == .integer(3))
        #expect(value["d"] == .double(2.5))
        #expect(value["s"] == .string("x"))
        #expect(value["a"] == .array([.integer(1), .string("two")]))
        #expect(value["o"]?["k"] == .bool(false))
    }

    @Test("typed accessors convert only when exact")
    func accessors() {
        #expect(JSONValue.integer(5).intValue == 5)
        #expect(JSONValue.double(5).intValue == 5)
        #expect(JSONValue.double(5.5).intValue == nil)
        #expect(JSONValue.double(1e30).int64Value == nil)
        #expect(JSONValue.integer(2).doubleValue == 2)
        #expect(JSONValue.string("x").intValue == nil)
        #expect(JSONValue.bool(true).boolValue == true)
        #expect(JSONValue.null.isNull)
        #expect(JSONValue.array([1])[0] == 1)
        #expect(JSONValue.array([1])[1] == nil)
        #expect(JSONValue.string("x")["k"] == nil)
        #expect(JSONValue.object(["a": 1]).objectValue?.count == 1)
    }

    @Test("key subscript sets members of objects")
    func setter() {
        var value: JSONValue = ["a": 1]
        value["b"] = "two"
        value["a"] = nil
        #expect(value == ["b": "two"])
    }

    @Test("merging adds and overrides members")
    func merging() {
        let original: JSONValue = ["a": 1, "b": 2]
        let merged = original.merging(["b": 3, "c": 4])
        #expect(merged == ["a": 1, "b": 3, "c": 4])
    }

    @Test("hashable: equal values hash equal regardless of key order")
    func hashing() throws {
        let one = try JSONValue(parsing: #"{"a":1,"b":[1,2]}"#)
        let two = try JSONValue(parsing: #"{"b":[1,2],"a":1}"#)
        #expect(one == two)
        #expect(Set([one, two]).count == 1)
        #expect(JSONValue.integer(1) != JSONValue.double(1))
    }
}
