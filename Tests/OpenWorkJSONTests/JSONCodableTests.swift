import OpenWorkJSON
import Testing

@Suite("Typed values (Codable)")
struct JSONCodableTests {
    struct Workspace: Codable, Equatable {
        var id: String
        var name: String?
        var port: Int
        var ratio: Double
        var tags: [String]
        var nested: Nested
        var extra: JSONValue?

        struct Nested: Codable, Equatable {
            var enabled: Bool
            var counts: [Int64]
        }
    }

    static let sample = Workspace(
        id: "ws-1", name: nil, port: 8080, ratio: 0.5, tags: ["a"],
        nested: .init(enabled: true, counts: [1, .max]), extra: ["free": [1, "form"]]
    )

    @Test("encode then decode returns the same value; nil optionals are omitted")
    func roundTrip() throws {
        let json = try JSONValue(encoding: Self.sample)
        #expect(json["name"] == nil)
        #expect(json["extra"] == ["free": [1, "form"]])
        #expect(json["nested"]?["counts"] == [1, .integer(.max)])
        #expect(try json.decode(Workspace.self) == Self.sample)
        let text = try json.serialized()
        #expect(try JSONValue(parsing: text).decode(Workspace.self) == Self.sample)
    }

    @Test("failures name the path and the reason")
    func failureDescriptions() throws {
        var json = try JSONValue(encoding: Self.sample)
        json["port"] = "eighty"
        let mismatch = #expect(throws: DecodingError.self) { try json.decode(Workspace.self) }
        #expect(JSONValue.decodingFailureDescription(mismatch!) == "at \"port\": expected integer, found string")

        json = try JSONValue(encoding: Self.sample)
        json["nested"] = ["enabled": true]
        let missing = #expect(throws: DecodingError.self) { try json.decode(Workspace.self) }
        #expect(JSONValue.decodingFailureDescription(missing!) == "at \"nested.counts\": required member is missing")

        json = try JSONValue(encoding: Self.sample)
        json["tags"] = ["a", 2]
        let element = #expect(throws: DecodingError.self) { try json.decode(Workspace.self) }
        #expect(JSONValue.decodingFailureDescription(element!) == "at \"tags[1]\": expected string, found integer")
    }

    @Test("numbers convert only when exact")
    func numbers() throws {
        #expect(try JSONValue.double(3).decode(Int.self) == 3)
        #expect(throws: DecodingError.self) { try JSONValue.double(3.5).decode(Int.self) }
        #expect(throws: DecodingError.self) { try JSONValue.integer(300).decode(UInt8.self) }
        #expect(try JSONValue.integer(3).decode(Double.self) == 3)
        #expect(throws: DecodingError.self) { try JSONValue.string("3").decode(Int.self) }
    }

    @Test("JSONValue passes through Codable unchanged")
    func passthrough() throws {
        let value: JSONValue = ["a": [1, 2.5, nil, "x", ["b": false]]]
        #expect(try value.decode(JSONValue.self) == value)
        #expect(try JSONValue(encoding: value) == value)
        #expect(try JSONValue(encoding: [value, value]) == [value, value])
    }

    @Test("dictionaries, arrays and optionals at the top level")
    func containers() throws {
        let map = ["x": [1, 2], "y": []]
        #expect(try JSONValue(encoding: map).decode([String: [Int]].self) == map)
        let optional: Int? = nil
        #expect(try JSONValue(encoding: optional) == .null)
        #expect(try JSONValue.null.decode(Int?.self) == nil)
    }
}
